import { stat } from 'node:fs/promises';
import path from 'node:path';

/** The database the server keeps in its embedded engine. */
export const EMBEDDED_DATABASE = 'scim';

/** Where the engine keeps its SQLite files: one file per database, with its -wal and -shm files. */
export function sqliteDirectory(dataDir: string): string {
  return path.join(dataDir, 'ferretdb');
}

/** The SQLite file holding the server's database (DATA_DIR/ferretdb/scim.sqlite). */
export function databaseFile(dataDir: string): string {
  return path.join(sqliteDirectory(dataDir), `${EMBEDDED_DATABASE}.sqlite`);
}

/** Whether a server (or a command) ever stored the database in this DATA_DIR. */
export async function holdsData(dataDir: string): Promise<boolean> {
  return stat(databaseFile(dataDir)).then(
    (info) => info.isFile(),
    () => false,
  );
}
