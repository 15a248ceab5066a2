// Mocha --require: the schema extensions of the default SCHEMA_EXTENSIONS_DIR (the shipped Contoso
// example) are registered before any test file loads, as the server registers them before it
// builds the app. They are process-wide (scimmy's schemas are), so every test sees the same set.
import { loadConfig } from '../../src/config.js';
import { registerExtensionDirectory } from '../../src/scim/extension-files.js';

registerExtensionDirectory(loadConfig({}).schemaExtensionsDir);

export const CONTOSO = 'urn:ietf:params:scim:schemas:extension:contoso:2.0:User';
