import packageJson from '../package.json';

/** The platform's version: `version` of package.json (shown by `GET /health`). */
export const PACKAGE_VERSION: string = packageJson.version;
