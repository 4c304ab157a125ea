// The one environment every child of the test harness starts with (npm, node, code-server, Chromium, the stages).
//
// When the harness runs under `npm test`, the outer npm (the user's npm, under the user's Node) adds its own
// variables to the environment: its whole configuration as npm_config_* (user agent with its Node version,
// nodedir, prefix, ...), npm_package_* and npm_lifecycle_* for the running script, npm_execpath, npm_node_execpath,
// NODE and INIT_CWD. A child `npm install` under Node 24 inherits them by accident and then believes it runs under
// the outer Node: code-server's postinstall refuses with "requires node v24 ... you are on node v20". So children
// get the caller's environment minus every such variable, plus what each child is meant to have (`extra`).
// Kept on purpose: the network settings a user may have set for npm (registry, proxies, certificate authority,
// cache folder, user config file), since a child npm needs them to reach the same registry.
'use strict';

const KEPT_NPM_CONFIG = new Set([
  'npm_config_registry',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_no_proxy',
  'npm_config_cafile',
  'npm_config_ca',
  'npm_config_strict_ssl',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_globalconfig',
]);

/** Variables an outer `npm run` injects, which no child may inherit by accident. */
const NPM_INJECTED = new Set(['NODE', 'INIT_CWD', 'COLOR']);

function injectedByNpm(key) {
  const lower = key.toLowerCase();
  if (KEPT_NPM_CONFIG.has(lower)) return false;
  if (lower.startsWith('npm_config_') && lower.endsWith('registry')) return false; // scoped registries too
  return lower.startsWith('npm_') || NPM_INJECTED.has(key);
}

/**
 * The environment for a child process: `base` (default process.env) without what an outer npm injected, plus `extra`.
 * @param {Record<string, string | undefined>} [extra]
 * @param {NodeJS.ProcessEnv} [base]
 * @returns {Record<string, string>}
 */
function childEnv(extra = {}, base = process.env) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !injectedByNpm(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

module.exports = { childEnv, injectedByNpm };
