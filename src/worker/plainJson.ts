// Results cross the IPC channel as JSON. JSON.stringify silently turns NaN into null and typed arrays into
// index-keyed objects, which would corrupt numbers without anyone noticing; this check names the first offender.

/** Returns a description of the first value that does not survive JSON unchanged, or undefined. */
export function findNonJson(value: unknown, where = 'result', seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${where} is ${value} (not representable in JSON)`;
    case 'undefined':
      return undefined; // dropped from objects, which is what an optional field means
    case 'object': {
      if (value === null) return undefined;
      if (ArrayBuffer.isView(value)) return `${where} is a ${value.constructor.name}; send a plain array`;
      if (seen.has(value)) return `${where} is a circular reference`;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = findNonJson(value[i], `${where}[${i}]`, seen);
          if (bad) return bad;
        }
      } else {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          return `${where} is a ${(value as { constructor?: { name?: string } }).constructor?.name ?? 'class instance'}, not plain data`;
        }
        for (const [k, v] of Object.entries(value)) {
          const bad = findNonJson(v, `${where}.${k}`, seen);
          if (bad) return bad;
        }
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${where} is a ${typeof value}`;
  }
}
