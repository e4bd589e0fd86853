/** Who is acting: the user, and which owner's resources they may see (every owner's for admins). */
export interface Actor {
  userId: string;
  /** undefined for admins. */
  ownerId?: string;
}
