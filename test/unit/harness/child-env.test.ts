// The harness's children must not inherit what an outer `npm test` injected (the cause of code-server's
// "requires node v24 ... you are on node v20" on a fresh machine), and must keep everything else.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { childEnv } = require(path.join(ROOT, 'test', 'harness', 'child-env.js')) as {
  childEnv: (extra?: Record<string, string | undefined>, base?: Record<string, string | undefined>) => Record<string, string>;
};

describe('harness: child environment', () => {
  const outerNpm = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    npm_config_user_agent: 'npm/11.0.0 node/v20.20.2 linux x64',
    npm_config_nodedir: '/usr/include/node20',
    npm_node_execpath: '/usr/bin/node',
    npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
    npm_lifecycle_event: 'test',
    npm_package_name: 'dynn-lens',
    NODE: '/usr/bin/node',
    INIT_CWD: '/src/dynn-lens',
    COLOR: '1',
    npm_config_registry: 'https://registry.example/',
    npm_config_https_proxy: 'http://proxy.example:8080',
    'npm_config_@scope:registry': 'https://scoped.example/',
  };

  it('drops every variable the outer npm injected and keeps the rest', () => {
    const env = childEnv({}, outerNpm);
    assert.deepStrictEqual(Object.keys(env).sort(), [
      'HOME',
      'NODE_EXTRA_CA_CERTS',
      'PATH',
      'npm_config_@scope:registry',
      'npm_config_https_proxy',
      'npm_config_registry',
    ]);
  });

  it('adds and overrides what the child is meant to have, and removes keys set to undefined', () => {
    const env = childEnv({ PATH: '/opt/node24/bin:/usr/bin', npm_config_nodedir: '/opt/node24', HOME: undefined }, outerNpm);
    assert.strictEqual(env.PATH, '/opt/node24/bin:/usr/bin');
    assert.strictEqual(env.npm_config_nodedir, '/opt/node24');
    assert.ok(!('HOME' in env));
  });

  it('a child process started with it sees no outer user agent or nodedir', () => {
    // Under `npm test` these are set in process.env; the child must report npm's own defaults, not ours.
    const base = { ...process.env, npm_config_user_agent: 'npm/0.0.0 node/v1.0.0', npm_config_nodedir: '/nonexistent-node-headers' };
    const r = spawnSync(process.execPath, ['-e', 'console.log(JSON.stringify([process.env.npm_config_user_agent, process.env.npm_config_nodedir]))'], {
      env: childEnv({}, base),
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout), [null, null]);
  });
});
