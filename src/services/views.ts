import type { MemberRef, ResourceRecord, SortValue } from '../store/contract.js';

export interface GroupRef {
  id: string;
  display: string | undefined;
}

/** A user with what its representation derives from other documents. */
export interface UserView {
  record: ResourceRecord;
  groups: GroupRef[];
}

/** A group; `members` is undefined when the client excluded them, so they were never loaded. */
export interface GroupView {
  record: ResourceRecord;
  members: MemberRef[] | undefined;
  /** Instead of `members`, for a whole group read: the members, produced while the answer is written. */
  memberStream?: (() => AsyncIterable<MemberRef>) | undefined;
}

export interface Page<V> {
  total: number;
  items: V[];
  /** Cursor paging only (see ListPage). */
  sortValues?: SortValue[];
  more?: boolean;
}
