#!/usr/bin/python3
"""helm STAND-IN for labwright's lab tests. This is NOT helm.

There is no chart repository and no cluster behind it. Lab tests install it as
/usr/local/bin/helm on a test container (or inside a FAKE release tarball) to
prove which helm calls a role makes, in which order, with which values. It:

- records every invocation, one JSON line each, in /var/log/helm-standin.log
  (argv, the verb, the values file's content for upgrade/diff, the exit code);
- insists on a readable kubeconfig (--kubeconfig, else $KUBECONFIG) for calls
  that reach a cluster ("Kubernetes cluster unreachable" otherwise);
- `upgrade --install NAME CHART --version V`: succeeds only for a chart the
  test put in /var/lib/helm-standin/charts/<chart>/<version>/manifest.yaml
  (else "chart not found", as a repository without that version); applies that
  FAKE manifest with `kubectl apply --server-side --field-manager=helm`
  (the kubectl stand-in, so its CRDs and workloads exist afterwards); stores
  the release (revision + 1, status deployed, chart NAME-VERSION, the values)
  under /var/lib/helm-standin/releases/<namespace>/<name>.json. If
  /var/lib/helm-standin/fail-upgrade exists, the release is stored `failed`
  and the call fails like a failed upgrade;
- `list -o json [--all] [--filter RE] -n NS` and `get values NAME -o json`:
  print the stored releases / values (`null` for none), as helm does;
- `plugin list`: lists `diff` only if /var/lib/helm-standin/plugins/diff exists;
  `diff upgrade ... --detailed-exitcode`: exit 0 when the stored release has
  the same chart and values, else one "NS, NAME, Kind (group) has changed:"
  (or "has been added:") header per object of the FAKE chart manifest and exit 2;
- `version --template '{{.Version}}'`: prints $HELM_STANDIN_VERSION or v3.17.3.

Values files are read as JSON (labwright writes them so; JSON is YAML).
"""
import json
import os
import re
import subprocess
import sys

LOG = os.environ.get('HELM_STANDIN_LOG', '/var/log/helm-standin.log')
STORE = os.environ.get('HELM_STANDIN_STORE', '/var/lib/helm-standin')
VERSION = os.environ.get('HELM_STANDIN_VERSION', 'v3.17.3')
VALUE_FLAGS = {'--kubeconfig', '-n', '--namespace', '--version', '--repo', '-f', '--values', '--timeout', '--filter', '-o', '--output', '--template'}


class Fail(Exception):
    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def parse_args(argv):
    flags, positional, bools = {}, [], set()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith('--') and '=' in a:
            k, v = a.split('=', 1)
            flags[k] = v
        elif a in VALUE_FLAGS:
            if i + 1 >= len(argv):
                raise Fail('Error: flag needs an argument: ' + a)
            flags[a] = argv[i + 1]
            i += 1
        elif a.startswith('-'):
            bools.add(a)
        else:
            positional.append(a)
        i += 1
    for short, long in (('-n', '--namespace'), ('-f', '--values'), ('-o', '--output')):
        if short in flags:
            flags[long] = flags.pop(short)
    return flags, positional, bools


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def kubeconfig(flags):
    path = flags.get('--kubeconfig') or os.environ.get('KUBECONFIG') or os.path.expanduser('~/.kube/config')
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise Fail('Error: Kubernetes cluster unreachable: stat %s: no such file or readable kubeconfig' % path)
    return path


def release_path(ns, name):
    return os.path.join(STORE, 'releases', ns or 'default', name + '.json')


def load_release(ns, name):
    text = read(release_path(ns, name))
    return json.loads(text) if text else None


def chart_manifest(chart, version):
    name = chart.rstrip('/').split('/')[-1]
    return name, os.path.join(STORE, 'charts', name, version, 'manifest.yaml')


def values_of(flags, record):
    src = flags.get('--values')
    if src is None:
        return {}
    text = sys.stdin.read() if src == '-' else read(src)
    if text is None:
        raise Fail('Error: open %s: no such file or directory' % src)
    record['values'] = text
    try:
        values = json.loads(text)
    except ValueError:
        raise Fail('stand-in: values files are read as JSON only (this is not helm)')
    return values or {}


def objects_of(manifest):
    """(namespace, name, Kind (group)) of each document of a FAKE manifest."""
    out = []
    for doc in (read(manifest) or '').split('\n---\n'):
        top, meta = {}, False
        for line in doc.splitlines():
            if not line.startswith(' ') and ':' in line:
                k, _, v = line.partition(':')
                meta = k == 'metadata'
                top[k] = v.strip()
            elif meta and line.startswith('  ') and not line.startswith('   ') and ':' in line:
                k, _, v = line.strip().partition(':')
                top['meta.' + k] = v.strip()
        if 'kind' in top:
            api = top.get('apiVersion', 'v1')
            group = api.split('/')[0] if '/' in api else api
            out.append('%s, %s, %s (%s)' % (top.get('meta.namespace', ''), top.get('meta.name', ''), top['kind'], group))
    return out


def cmd_upgrade(flags, positional, bools, record):
    if '--install' not in bools and '-i' not in bools:
        raise Fail('stand-in: only "upgrade --install" is modelled')
    name, chart = positional[0], positional[1]
    conf = kubeconfig(flags)
    ns = flags.get('--namespace', 'default')
    version = flags.get('--version')
    if not version:
        raise Fail('stand-in: unpinned chart version (no --version)')
    chart_name, manifest = chart_manifest(chart, version)
    values = values_of(flags, record)
    if not os.path.isfile(manifest):
        raise Fail('Error: chart "%s" version "%s" not found in %s repository' % (chart_name, version, flags.get('--repo', chart)))
    old = load_release(ns, name)
    r = subprocess.run(['kubectl', '--kubeconfig', conf, 'apply', '--server-side', '--force-conflicts', '--field-manager=helm', '-f', manifest], capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail('Error: UPGRADE FAILED: ' + r.stderr.strip())
    failed = os.path.exists(os.path.join(STORE, 'fail-upgrade'))
    rel = {'name': name, 'namespace': ns, 'revision': str(int(old['revision']) + 1 if old else 1), 'updated': 'stand-in',
           'status': 'failed' if failed else 'deployed', 'chart': '%s-%s' % (chart_name, version), 'app_version': version, 'values': values}
    write(release_path(ns, name), json.dumps(rel, indent=1, sort_keys=True))
    if failed:
        raise Fail('Error: UPGRADE FAILED: stand-in told to fail (%s exists)' % os.path.join(STORE, 'fail-upgrade'))
    print('Release "%s" has been %s. Happy Helming!' % (name, 'upgraded' if old else 'installed'))


def cmd_list(flags, bools):
    kubeconfig(flags)
    ns = flags.get('--namespace', 'default')
    pattern = re.compile(flags.get('--filter', ''))
    d = os.path.join(STORE, 'releases', ns)
    out = []
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        rel = json.loads(read(os.path.join(d, f)))
        if pattern.search(rel['name']) and (rel['status'] == 'deployed' or '--all' in bools or '-a' in bools):
            out.append({k: v for k, v in rel.items() if k != 'values'})
    if flags.get('--output') != 'json':
        raise Fail('stand-in: only "list -o json" is modelled')
    print(json.dumps(out))


def cmd_get(flags, positional):
    if not positional or positional[0] != 'values':
        raise Fail('stand-in: only "get values" is modelled')
    kubeconfig(flags)
    rel = load_release(flags.get('--namespace', 'default'), positional[1])
    if rel is None:
        raise Fail('Error: release: not found')
    print(json.dumps(rel['values'] or None))


def cmd_diff(flags, positional, bools, record):
    if positional[:1] != ['upgrade']:
        raise Fail('stand-in: only "diff upgrade" is modelled')
    name, chart = positional[1], positional[2]
    kubeconfig(flags)
    ns = flags.get('--namespace', 'default')
    chart_name, manifest = chart_manifest(chart, flags.get('--version', ''))
    values = values_of(flags, record)
    old = load_release(ns, name)
    if old is None and '--allow-unreleased' not in bools:
        raise Fail('Error: "%s" has no deployed releases' % name)
    if old and old['chart'] == '%s-%s' % (chart_name, flags.get('--version')) and old['values'] == values and old['status'] == 'deployed':
        return 0
    for o in objects_of(manifest):
        print('%s %s:' % (o, 'has changed' if old else 'has been added'))
    return 2 if '--detailed-exitcode' in bools else 0


def main(argv):
    record, code, verb = {'argv': argv}, 0, None
    try:
        flags, positional, bools = parse_args(argv)
        verb = positional.pop(0) if positional else None
        if verb == 'version':
            print(VERSION if '--template' in flags else 'version.BuildInfo{Version:"%s", stand-in:"not helm"}' % VERSION)
        elif verb == 'upgrade':
            cmd_upgrade(flags, positional, bools, record)
        elif verb in ('list', 'ls'):
            cmd_list(flags, bools)
        elif verb == 'get':
            cmd_get(flags, positional)
        elif verb == 'plugin' and positional[:1] == ['list']:
            print('NAME\tVERSION\tDESCRIPTION')
            if os.path.exists(os.path.join(STORE, 'plugins', 'diff')):
                print('diff\t3.9.14\tstand-in of the helm-diff plugin')
        elif verb == 'diff':
            code = cmd_diff(flags, positional, bools, record)
        else:
            raise Fail('stand-in: "%s" is not modelled (this is not helm)' % verb)
    except Fail as e:
        print(str(e), file=sys.stderr)
        code = e.code
    finally:
        record['verb'] = verb
        record['exit'] = code
        os.makedirs(os.path.dirname(LOG), exist_ok=True)
        with open(LOG, 'a') as f:
            f.write(json.dumps(record) + '\n')
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
