// The tool's version, from package.json at build time (webpack and tsc both resolve the JSON import), so the CLI's
// --version and every result's provenance name the same version without reading files at run time.
import { version } from '../../package.json';

export const TOOL_VERSION: string = version;
