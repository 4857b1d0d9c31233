/** True when dist/build-stamp.json exists and every file and folder it is compiled from is older than the build's start. */
export function freshBuild(): boolean;
