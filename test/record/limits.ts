/** A diff starts a simulator and replays a whole session: on a loaded 2-core machine that takes a while. */
export const DIFF_LIMIT_MS = 45_000;
/** A test that runs several gwsim processes one after another. */
export const SEVERAL_CHILDREN_MS = 90_000;
