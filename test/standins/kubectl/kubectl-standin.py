#!/usr/bin/python3
"""kubectl STAND-IN for labwright's lab tests. This is NOT kubectl.

There is no cluster and no API server behind it. Lab tests install it as
/usr/local/bin/kubectl on a test container to prove which kubectl calls a role
makes, in which order, on which host, and that what the role renders is what
gets applied. It:

- records every invocation, one JSON line each, in /var/log/kubectl-standin.log
  (argv, the objects it touched, the exit code);
- insists on a readable kubeconfig (--kubeconfig, else $KUBECONFIG), as kubectl;
- stores applied objects as their YAML text under /var/lib/kubectl-standin/objects/
  <group>/<Kind>/<namespace or _>/<name>.yaml (a later apply replaces the text:
  no server-side merge, no defaulting, no status);
- refuses custom kinds whose CRD was not applied first ("no matches for kind"),
  and client-side apply of a document over 256 KiB (the annotation limit);
- `diff --server-side`: exit 0 when every object equals the stored text, 1 and
  a unified diff when one differs, 2 on errors (like kubectl diff);
- `get`: prints stored objects (-f, TYPE NAME, TYPE/NAME; -l SELECTOR; -o yaml|name);
- `delete TYPE NAME|TYPE/NAME [-n NS] [--ignore-not-found]`: removes a stored object;
- `rollout status TYPE/NAME`: --watch=false reports once (complete only after a
  rollout was waited for); otherwise marks it complete, or with never-ready
  sleeps --timeout and fails;
- `wait`: with a positive --timeout it models the controller becoming ready
  (marks the target ready, exits 0); --timeout=0s (check once) succeeds only
  for targets marked ready. If /var/lib/kubectl-standin/never-ready exists,
  waits time out after --timeout like a controller that never comes up;
- `-k DIR`: does not run kustomize: stores the listed resources as objects and
  each patch file's text under kustomize-patches/ (not merged into objects).

It reads block-style YAML as the `yaml` package writes it: top-level apiVersion
and kind, metadata.name/namespace indented by two spaces, documents separated
by `---` lines.
"""
import difflib
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import kubectl_standin_nodes as nodes  # noqa: E402  (node verbs: drain, cordon, label, taint, get/delete/wait node)

LOG = os.environ.get('KUBECTL_STANDIN_LOG', '/var/log/kubectl-standin.log')
STORE = os.environ.get('KUBECTL_STANDIN_STORE', '/var/lib/kubectl-standin')
VALUE_FLAGS = {'--kubeconfig', '-n', '--namespace', '-f', '--filename', '-k', '--kustomize', '-l', '--selector',
               '-o', '--output', '--for', '--timeout', '--field-manager', '--context'}
BUILTIN_GROUPS = {'core', 'apps', 'batch', 'policy', 'autoscaling'}
ANNOTATION_LIMIT = 262144


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
                raise Fail('error: flag needs an argument: ' + a)
            flags[a] = argv[i + 1]
            i += 1
        elif a.startswith('-'):
            bools.add(a)
        else:
            positional.append(a)
        i += 1
    for short, long in (('-n', '--namespace'), ('-f', '--filename'), ('-k', '--kustomize'), ('-l', '--selector'), ('-o', '--output')):
        if short in flags:
            flags[long] = flags.pop(short)
    return flags, positional, bools


def unquote(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in '\'"':
        return v[1:-1]
    return v


def split_docs(text):
    docs, cur = [], []
    for line in text.splitlines():
        if line.rstrip() == '---':
            docs.append('\n'.join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append('\n'.join(cur))
    return [d.strip('\n') + '\n' for d in docs if any(l.strip() and not l.lstrip().startswith('#') for l in d.splitlines())]


def identity(doc):
    top, in_meta = {}, False
    for line in doc.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if not line.startswith(' '):
            key, _, val = line.partition(':')
            in_meta = key == 'metadata' and val.strip() == ''
            if key in ('apiVersion', 'kind'):
                top[key] = unquote(val)
        elif in_meta and line.startswith('  ') and not line.startswith('   '):
            key, _, val = line.strip().partition(':')
            if key in ('name', 'namespace'):
                top[key] = unquote(val)
    if not top.get('apiVersion') or not top.get('kind') or not top.get('name'):
        raise Fail('error: stand-in could not read apiVersion/kind/metadata.name of a document:\n' + doc)
    api = top['apiVersion']
    group, version = (api.split('/', 1) if '/' in api else ('core', api))
    return {'group': group, 'version': version, 'kind': top['kind'], 'name': top['name'], 'namespace': top.get('namespace', '')}


def plural(kind):
    k = kind.lower()
    if k.endswith('s'):
        return k + 'es'
    if k.endswith('y') and k[-2:-1] not in 'aeiou':
        return k[:-1] + 'ies'
    return k + 's'


def obj_path(o):
    return os.path.join(STORE, 'objects', o['group'], o['kind'], o['namespace'] or '_', o['name'] + '.yaml')


def ref(o):
    g = '' if o['group'] == 'core' else '.' + o['group']
    return '%s%s/%s' % (o['kind'].lower(), g, o['name'])


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


def builtin(group):
    return group in BUILTIN_GROUPS or group.endswith('.k8s.io')


def require_kind(o, source):
    if builtin(o['group']):
        return
    crd = {'group': 'apiextensions.k8s.io', 'kind': 'CustomResourceDefinition', 'namespace': '', 'name': plural(o['kind']) + '.' + o['group']}
    if read(obj_path(crd)) is None:
        raise Fail('error: resource mapping not found for name: "%s" namespace: "%s" from "%s": no matches for kind "%s" in version "%s/%s"\n'
                   'ensure CRDs are installed first' % (o['name'], o['namespace'], source, o['kind'], o['group'], o['version']))


def load_source(flags):
    """(documents, touched-object list) from -f FILE|- or -k DIR."""
    if '--kustomize' in flags:
        d = flags['--kustomize']
        text = read(os.path.join(d, 'kustomization.yaml'))
        if text is None:
            raise Fail('error: unable to find one of \'kustomization.yaml\' in directory \'%s\'' % d)
        resources, patches, section = [], [], None
        for line in text.splitlines():
            if re.match(r'^[A-Za-z]', line):
                section = line.split(':')[0]
            m = re.match(r'^\s*-\s*(?:path:\s*)?(\S+)\s*$', line)
            if m and section == 'resources':
                resources.append(m.group(1))
            elif m and section == 'patches':
                patches.append(m.group(1))
        docs = []
        for r in resources:
            t = read(os.path.join(d, r))
            if t is None:
                raise Fail('error: accumulating resources: %s: no such file' % r)
            docs += [(doc, None) for doc in split_docs(t)]
        for p in patches:
            t = read(os.path.join(d, p))
            if t is None:
                raise Fail('error: patch %s: no such file' % p)
            docs.append((t, os.path.basename(p)))
        return docs, 'kustomization ' + d
    src = flags.get('--filename')
    if src is None:
        raise Fail('error: must specify one of -f and -k')
    text = sys.stdin.read() if src == '-' else read(src)
    if text is None:
        raise Fail('error: the path "%s" does not exist' % src)
    return [(doc, None) for doc in split_docs(text)], 'STDIN' if src == '-' else src


def target_path(doc, patch):
    if patch:
        return os.path.join(STORE, 'kustomize-patches', patch), {'ref': 'kustomize-patch/' + patch}
    o = identity(doc)
    return obj_path(o), o


def cmd_apply(flags, bools, verb, touched):
    docs, source = load_source(flags)
    if verb == 'apply' and '--server-side' not in bools:
        for doc, _ in docs:
            if len(doc.encode()) > ANNOTATION_LIMIT:
                raise Fail('The CustomResourceDefinition "%s" is invalid: metadata.annotations: Too long: must have at most %d bytes'
                           % (identity(doc)['name'], ANNOTATION_LIMIT))
    errors = []
    for doc, patch in docs:
        path, o = target_path(doc, patch)
        if not patch:
            try:
                require_kind(o, source)
            except Fail as e:
                errors.append(str(e))
                continue
        name = o['ref'] if patch else ref(o)
        if verb == 'create' and read(path) is not None:
            errors.append('Error from server (AlreadyExists): error when creating "%s": %s "%s" already exists' % (source, o['kind'], o['name']))
            continue
        write(path, doc)
        touched.append(name)
        print('%s %s' % (name, 'created' if verb == 'create' else 'serverside-applied'))
    if errors:
        raise Fail('\n'.join(errors))


def diff_name(o):
    if 'ref' in o:
        return o['ref'].replace('/', '.')
    group = '' if o['group'] == 'core' else o['group'] + '.'
    return '%s%s.%s.%s.%s' % (group, o['version'], o['kind'], o['namespace'], o['name'])


def cmd_diff(flags, bools, touched):
    if '--server-side' not in bools:
        raise Fail('stand-in: labwright always diffs with --server-side; refusing a client-side diff', 2)
    try:
        docs, source = load_source(flags)
        differs = False
        for doc, patch in docs:
            path, o = target_path(doc, patch)
            if not patch:
                require_kind(o, source)
            live = read(path)
            if live == doc:
                continue
            differs = True
            n = diff_name(o)
            touched.append(n)
            print('diff -u -N /tmp/LIVE-0/%s /tmp/MERGED-0/%s' % (n, n))
            sys.stdout.writelines(difflib.unified_diff((live or '').splitlines(True), doc.splitlines(True), '/tmp/LIVE-0/' + n, '/tmp/MERGED-0/' + n))
        return 1 if differs else 0
    except Fail as e:
        raise Fail(str(e), 2)


def labels(doc):
    """metadata.labels of a block-style document, as the yaml package writes it."""
    out, in_meta, in_labels = {}, False, False
    for line in doc.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if not line.startswith(' '):
            in_meta, in_labels = line.rstrip() == 'metadata:', False
        elif in_meta and line.startswith('  ') and not line.startswith('   '):
            in_labels = line.strip() == 'labels:'
        elif in_labels and line.startswith('    ') and not line.startswith('     '):
            key, _, val = line.strip().partition(':')
            out[unquote(key)] = unquote(val)
    return out


def selected(doc, selector):
    """Whether a document's labels match a selector: k=v, k==v, k!=v, k (exists), comma-separated."""
    have = labels(doc)
    for term in filter(None, selector.split(',')):
        if '!=' in term:
            k, v = term.split('!=', 1)
            if have.get(k) == v:
                return False
        elif '=' in term:
            k, v = term.replace('==', '=').split('=', 1)
            if have.get(k) != v:
                return False
        elif term not in have:
            return False
    return True


def stored_objects():
    base = os.path.join(STORE, 'objects')
    for root, _, files in os.walk(base):
        for f in files:
            if f.endswith('.yaml'):
                p = os.path.join(root, f)
                yield identity(read(p)), p


def matches_type(o, t):
    t = t.lower()
    names = {o['kind'].lower(), plural(o['kind']), plural(o['kind']) + '.' + o['group'], o['kind'].lower() + '.' + o['group']}
    if o['kind'] == 'CustomResourceDefinition':
        names |= {'crd', 'crds'}
    return t in names


def print_objects(found, flags):
    out = flags.get('--output', '')
    if out == 'name':
        for o, _ in found:
            print(ref(o))
    elif out in ('yaml', 'json'):
        print('---\n'.join(read(p) for _, p in found), end='')
    else:
        print('NAME')
        for o, _ in found:
            print(o['name'])


def cmd_get(flags, positional, bools, touched):
    ns = flags.get('--namespace', '')
    if '--filename' in flags:
        docs, _ = load_source(flags)
        found = []
        for doc, _ in docs:
            o = identity(doc)
            p = obj_path(o)
            if read(p) is not None:
                found.append((o, p))
                touched.append(ref(o))
            elif '--ignore-not-found' not in bools:
                raise Fail('Error from server (NotFound): %s "%s" not found' % (plural(o['kind']), o['name']))
        print_objects(found, flags)
        return
    if not positional:
        raise Fail('error: you must specify the type of resource to get')
    t, names = positional[0], positional[1:]
    if '/' in t:
        t, n = t.split('/', 1)
        names = [n]
    found = [(o, p) for o, p in stored_objects() if matches_type(o, t) and (not ns or o['namespace'] in (ns, '')) and (not names or o['name'] in names)]
    if '--selector' in flags:
        found = [(o, p) for o, p in found if selected(read(p), flags['--selector'])]
    if names and not found and '--ignore-not-found' not in bools:
        raise Fail('Error from server (NotFound): %s "%s" not found' % (t, names[0]))
    for o, _ in found:
        touched.append(ref(o))
    print_objects(found, flags)


def seconds(t):
    m = re.match(r'^(\d+)(s|m|h)?$', t)
    if not m:
        raise Fail('error: invalid --timeout ' + t)
    return int(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, None: 1}[m.group(2)]


def cmd_wait(flags, positional, touched):
    cond = flags.get('--for', '')
    if not cond.startswith('condition='):
        raise Fail('stand-in: only --for=condition=X is modelled')
    target = ' '.join(positional) + (' -l ' + flags['--selector'] if '--selector' in flags else '') + (' -n ' + flags['--namespace'] if '--namespace' in flags else '')
    key = '%s|%s' % (target, cond.lower())
    touched.append(target)
    ready_file = os.path.join(STORE, 'ready.json')
    ready = json.loads(read(ready_file) or '{}')
    timeout = seconds(flags.get('--timeout', '30s'))
    if os.path.exists(os.path.join(STORE, 'never-ready')):
        time.sleep(timeout)
        raise Fail('error: timed out waiting for the condition on ' + target)
    if timeout == 0 and not ready.get(key):
        raise Fail('error: timed out waiting for the condition on ' + target)
    ready[key] = True
    write(ready_file, json.dumps(ready, indent=1, sort_keys=True))
    print('%s condition met' % target)


def find_named(positional, flags):
    """The stored objects named by TYPE NAME or TYPE/NAME (and -n)."""
    if not positional:
        raise Fail('error: you must specify the type of resource')
    t, names = positional[0], positional[1:]
    if '/' in t:
        t, n = t.split('/', 1)
        names = [n]
    ns = flags.get('--namespace', '')
    return t, names, [(o, p) for o, p in stored_objects() if matches_type(o, t) and o['name'] in names and o['namespace'] in (ns, '')]


def cmd_delete(flags, positional, bools, touched):
    t, names, found = find_named(positional, flags)
    if not found and '--ignore-not-found' not in bools:
        raise Fail('Error from server (NotFound): %s "%s" not found' % (t, names[0] if names else ''))
    for o, p in found:
        os.remove(p)
        touched.append(ref(o))
        print('%s deleted' % ref(o))


def cmd_rollout(flags, positional, bools, touched):
    if positional[:1] != ['status']:
        raise Fail('stand-in: only "rollout status" is modelled')
    t, names, found = find_named(positional[1:], flags)
    if not found:
        raise Fail('Error from server (NotFound): %s "%s" not found' % (t, names[0] if names else ''))
    o = found[0][0]
    touched.append(ref(o))
    key = 'rollout|%s|%s/%s' % (o['namespace'], o['kind'], o['name'])
    ready_file = os.path.join(STORE, 'ready.json')
    ready = json.loads(read(ready_file) or '{}')
    kind = o['kind'].lower()
    if flags.get('--watch') == 'false':
        if ready.get(key):
            print('%s "%s" successfully rolled out' % (kind, o['name']))
        else:
            print('Waiting for %s "%s" rollout to finish: 0 of 1 updated replicas are available...' % (kind, o['name']))
        return
    if os.path.exists(os.path.join(STORE, 'never-ready')):
        print('Waiting for %s "%s" rollout to finish: 0 of 1 updated replicas are available...' % (kind, o['name']))
        time.sleep(seconds(flags.get('--timeout', '0s')))
        raise Fail('error: timed out waiting for the condition')
    ready[key] = True
    write(ready_file, json.dumps(ready, indent=1, sort_keys=True))
    print('%s "%s" successfully rolled out' % (kind, o['name']))


def kubeconfig_ok(flags):
    path = flags.get('--kubeconfig') or os.environ.get('KUBECONFIG') or os.path.expanduser('~/.kube/config')
    if not os.path.isfile(path):
        raise Fail('error: stat %s: no such file or directory' % path)
    if not os.access(path, os.R_OK):
        raise Fail('error: open %s: permission denied' % path)


def main(argv):
    touched, code = [], 0
    verb = None
    try:
        flags, positional, bools = parse_args(argv)
        verb = positional.pop(0) if positional else None
        kubeconfig_ok(flags)
        if nodes.handles(verb, positional):
            try:
                code = nodes.run(verb, flags, positional, bools, touched, STORE)
            except nodes.NodeFail as e:
                raise Fail(str(e), e.code)
        elif verb in ('apply', 'create'):
            cmd_apply(flags, bools, verb, touched)
        elif verb == 'diff':
            code = cmd_diff(flags, bools, touched)
        elif verb == 'get':
            cmd_get(flags, positional, bools, touched)
        elif verb == 'wait':
            cmd_wait(flags, positional, touched)
        elif verb == 'delete':
            cmd_delete(flags, positional, bools, touched)
        elif verb == 'rollout':
            cmd_rollout(flags, positional, bools, touched)
        elif verb == 'version':
            print('Client Version: stand-in (not kubectl)')
        else:
            raise Fail('stand-in: "%s" is not modelled (this is not kubectl)' % verb)
    except Fail as e:
        print(str(e), file=sys.stderr)
        code = e.code
    finally:
        os.makedirs(os.path.dirname(LOG), exist_ok=True)
        with open(LOG, 'a') as f:
            f.write(json.dumps({'argv': argv, 'verb': verb, 'objects': touched, 'exit': code}) + '\n')
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
