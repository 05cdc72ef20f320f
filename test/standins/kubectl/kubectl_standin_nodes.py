"""Nodes for the kubectl STAND-IN (lab tests only). This is NOT kubectl.

There is no kubelet behind a node here: the test registers nodes (playing
each kubelet's registration) as JSON files under <store>/nodes/<name>.json
({labels, taints, unschedulable, ready}), and these verbs read and change
them as kubectl would through the API server:

  get node NAME [-o json|name] [--ignore-not-found]   a Node object (metadata.labels, spec.taints,
                                                      spec.unschedulable, status.conditions Ready)
  label node NAME k=v ... [--overwrite]   k- removes; a changed value without --overwrite fails as kubectl's
  taint node NAME k[=v]:Effect ... [--overwrite]   k:Effect- / k- removes; removing a missing taint fails
  cordon / uncordon NAME, drain NAME ...   unschedulable true / false; drain cordons (and "evicts");
                                           <store>/drain-fails makes drain fail like a blocking PodDisruptionBudget
  delete node NAME [--ignore-not-found]
  wait --for=condition=Ready node/NAME --timeout=T   exit 0 when the node is Ready; else sleeps T and fails
"""
import json
import os
import re
import time


class NodeFail(Exception):
    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


NODE_TYPES = ('node', 'nodes', 'no')


def _node_target(positional):
    """(name or None) when the words name a node: 'node NAME' or 'node/NAME'."""
    if not positional:
        return None, False
    first = positional[0]
    if first in NODE_TYPES:
        return (positional[1] if len(positional) > 1 else None), True
    if '/' in first and first.split('/', 1)[0] in NODE_TYPES:
        return first.split('/', 1)[1], True
    return None, False


def handles(verb, positional):
    if verb in ('drain', 'cordon', 'uncordon'):
        return True
    if verb in ('get', 'delete', 'label', 'taint', 'wait'):
        return _node_target(positional)[1]
    return False


def _path(store, name):
    return os.path.join(store, 'nodes', name + '.json')


def load(store, name):
    try:
        with open(_path(store, name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(store, name, node):
    os.makedirs(os.path.join(store, 'nodes'), exist_ok=True)
    tmp = _path(store, name) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(node, f, indent=1, sort_keys=True)
    os.replace(tmp, _path(store, name))


def _must(store, name):
    node = load(store, name)
    if node is None:
        raise NodeFail('Error from server (NotFound): nodes "%s" not found' % name)
    return node


def as_object(name, node):
    return {
        'apiVersion': 'v1',
        'kind': 'Node',
        'metadata': {'name': name, 'labels': node.get('labels', {})},
        'spec': {k: v for k, v in (('taints', node.get('taints') or None), ('unschedulable', node.get('unschedulable') or None)) if v},
        'status': {'conditions': [{'type': 'Ready', 'status': 'True' if node.get('ready', True) else 'False'}]},
    }


def _seconds(t):
    m = re.match(r'^(\d+)(s|m|h)?$', t or '30s')
    if not m:
        raise NodeFail('error: invalid --timeout ' + t)
    return int(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, None: 1}[m.group(2)]


def _taint_spec(text):
    """k=v:Effect | k:Effect | k:Effect- | k- → (key, value, effect or None, remove)."""
    remove = text.endswith('-')
    body = text[:-1] if remove else text
    key_value, _, effect = body.partition(':')
    key, _, value = key_value.partition('=')
    if not remove and effect not in ('NoSchedule', 'PreferNoSchedule', 'NoExecute'):
        raise NodeFail('error: invalid taint spec: %s, unsupported taint effect' % text)
    return key, value, effect or None, remove


def run(verb, flags, positional, bools, touched, store):
    name, _ = _node_target(positional)
    if verb in ('drain', 'cordon', 'uncordon'):
        name = positional[0] if positional else None
    if not name:
        raise NodeFail('error: a node name is required')
    touched.append('node/' + name)
    if verb == 'get':
        node = load(store, name)
        if node is None:
            if '--ignore-not-found' in bools:
                return 0
            raise NodeFail('Error from server (NotFound): nodes "%s" not found' % name)
        out = flags.get('--output', '')
        print(json.dumps(as_object(name, node), indent=2) if out == 'json' else ('node/' + name if out == 'name' else 'NAME\n' + name))
        return 0
    if verb == 'delete':
        if load(store, name) is None:
            if '--ignore-not-found' in bools:
                return 0
            raise NodeFail('Error from server (NotFound): nodes "%s" not found' % name)
        os.remove(_path(store, name))
        print('node "%s" deleted' % name)
        return 0
    node = _must(store, name)
    if verb in ('cordon', 'drain'):
        node['unschedulable'] = True
        save(store, name, node)
        print('node/%s cordoned' % name)
        if verb == 'drain':
            if os.path.exists(os.path.join(store, 'drain-fails')):
                raise NodeFail('error when evicting pods/"web-0" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod\'s disruption budget.\n'
                               'error: unable to drain node "%s" due to error: timed out, continuing command...' % name)
            print('node/%s drained' % name)
        return 0
    if verb == 'uncordon':
        node['unschedulable'] = False
        save(store, name, node)
        print('node/%s uncordoned' % name)
        return 0
    if verb == 'label':
        labels = node.setdefault('labels', {})
        for spec in positional[2:] if positional[0] in NODE_TYPES else positional[1:]:
            if spec.endswith('-') and '=' not in spec:
                labels.pop(spec[:-1], None)
                continue
            k, _, v = spec.partition('=')
            if k in labels and labels[k] != v and '--overwrite' not in bools:
                raise NodeFail("error: '%s' already has a value (%s), and --overwrite is false" % (k, labels[k]))
            labels[k] = v
        save(store, name, node)
        print('node/%s labeled' % name)
        return 0
    if verb == 'taint':
        taints = node.setdefault('taints', [])
        for spec in positional[2:] if positional[0] in NODE_TYPES else positional[1:]:
            key, value, effect, remove = _taint_spec(spec)
            same = [t for t in taints if t['key'] == key and (effect is None or t['effect'] == effect)]
            if remove:
                if not same:
                    raise NodeFail('error: taint "%s" not found' % spec[:-1])
                taints[:] = [t for t in taints if t not in same]
                continue
            if same and '--overwrite' not in bools and any(t.get('value', '') != value for t in same):
                raise NodeFail('error: node %s already has %s taint(s) with same effect(s) and --overwrite is false' % (name, key))
            taints[:] = [t for t in taints if t not in same] + [dict({'key': key, 'effect': effect}, **({'value': value} if value else {}))]
        save(store, name, node)
        print('node/%s tainted' % name)
        return 0
    if verb == 'wait':
        if flags.get('--for', '').lower() != 'condition=ready':
            raise NodeFail('stand-in: only --for=condition=Ready is modelled for nodes')
        if node.get('ready', True):
            print('node/%s condition met' % name)
            return 0
        time.sleep(_seconds(flags.get('--timeout')))
        raise NodeFail('error: timed out waiting for the condition on nodes/%s' % name)
    raise NodeFail('stand-in: "%s" is not modelled for nodes' % verb)
