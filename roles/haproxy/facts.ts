import { defineFact } from '../../src/facts/fact.js';
import { sh } from '../../src/shell/quote.js';

export interface HaproxyBuild {
  /** "2.6.12-1+deb12u3" */
  version: string;
  /** The build includes the Prometheus exporter service (`prometheus-exporter`). */
  prometheus: boolean;
}

/** What the installed haproxy binary can do, from `haproxy -vv`; undefined when haproxy is not installed. */
export const haproxyBuild = defineFact('haproxy-build', () => ({
  command: sh`haproxy -vv`,
  parse({ stdout, code }): HaproxyBuild | undefined {
    if (code !== 0) return undefined;
    return parseHaproxyVv(stdout);
  },
}));

export function parseHaproxyVv(text: string): HaproxyBuild | undefined {
  const version = /^HA-?Proxy version (\S+)/m.exec(text)?.[1];
  if (!version) return undefined;
  // "Built with the Prometheus exporter as a service" (2.x); the feature list says +PROMEX from 2.4.
  const prometheus = /Built with the Prometheus exporter/i.test(text) || /(^|\s)\+PROMEX(\s|$)/m.test(text);
  return { version, prometheus };
}
