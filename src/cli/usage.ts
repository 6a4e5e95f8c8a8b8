/** Bad usage of a `mia` command: main() prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}
