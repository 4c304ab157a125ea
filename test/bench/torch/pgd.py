"""The same L-inf PGD as src/attacks, in PyTorch on the CPU, on weights exported from the TF.js engine.

Usage: python3 pgd.py DIR
DIR holds (written by test/bench/attacks.bench.ts):
  spec.json      the model tree (backbone, exits, gates, input) as the engine builds it
  weights.json   {weight name: file name} for every engine weight (TF layouts: HWIO kernels, [in, out] dense)
  *.npy          the weights, x.npy (NHWC inputs), y.npy (int32 labels), x0.npy (PGD's random start)
  params.json    {"eps", "step", "steps", "threads"}, and "apgd": {"eps", "steps", "seed"} for the APGD-CE peer
Writes DIR/torch_result.json and DIR/torch_logits_<exit>.npy (clean inputs), torch_adv_logits_tf.npy (final exit
on the TF.js adversarial inputs, when DIR/x_adv_tf.npy exists), torch_x_one_step.npy and torch_x_adv.npy.

The interpreter mirrors src/engine/layers.ts: TensorFlow 'same' padding (the smaller half before), average pooling
that divides by the number of valid inputs, batch norm with epsilon 1e-3, SDN mixed pooling, hard gates.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

BN_EPSILON = 1e-3


class Unsupported(Exception):
    pass


def same_pad(size, kernel, stride):
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_nchw(x, kh, kw, sh, sw, padding, value=0.0):
    if padding == 'valid':
        return x
    top, bottom = same_pad(x.shape[2], kh, sh)
    left, right = same_pad(x.shape[3], kw, sw)
    return F.pad(x, (left, right, top, bottom), value=value)


def activate(x, name):
    if name == 'linear':
        return x
    if name == 'relu':
        return F.relu(x)
    if name == 'relu6':
        return torch.clamp(x, 0, 6)
    if name == 'elu':
        return F.elu(x)
    if name == 'selu':
        return F.selu(x)
    if name == 'sigmoid':
        return torch.sigmoid(x)
    if name == 'tanh':
        return torch.tanh(x)
    if name == 'softmax':
        return torch.softmax(x, dim=-1)
    if name == 'swish':
        return x * torch.sigmoid(x)
    if name == 'gelu':
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    raise Unsupported('activation ' + name)


def max_pool(x, kh, kw, sh, sw, padding):
    return F.max_pool2d(pad_nchw(x, kh, kw, sh, sw, padding, float('-inf')), (kh, kw), (sh, sw))


def avg_pool(x, kh, kw, sh, sw, padding):
    # TensorFlow's 'same' average divides by the number of real (unpadded) inputs in each window.
    summed = F.avg_pool2d(pad_nchw(x, kh, kw, sh, sw, padding), (kh, kw), (sh, sw)) * (kh * kw)
    ones = torch.ones(1, 1, x.shape[2], x.shape[3], dtype=x.dtype)
    count = F.avg_pool2d(pad_nchw(ones, kh, kw, sh, sw, padding), (kh, kw), (sh, sw)) * (kh * kw)
    return summed / count


class Model:
    def __init__(self, directory):
        with open(os.path.join(directory, 'spec.json')) as f:
            self.spec = json.load(f)
        with open(os.path.join(directory, 'weights.json')) as f:
            files = json.load(f)
        self.w = {name: torch.from_numpy(np.load(os.path.join(directory, file))) for name, file in files.items()}

    def weight(self, name):
        if name not in self.w:
            raise Unsupported('missing weight ' + name)
        return self.w[name]

    def layer(self, layer, x, logits=False):
        t = layer['type']
        n = layer['name']
        if t == 'conv2d':
            k, s = layer['kernel'], layer['stride']
            kernel = self.weight(n + '/kernel').permute(3, 2, 0, 1)
            y = F.conv2d(pad_nchw(x, k, k, s, s, layer['padding']), kernel, stride=s)
            if layer['useBias']:
                y = y + self.weight(n + '/bias').view(1, -1, 1, 1)
            return activate(y, 'linear' if logits else layer['activation'])
        if t == 'depthwiseConv2d':
            k, s = layer['kernel'], layer['stride']
            raw = self.weight(n + '/depthwise_kernel')  # [k, k, c, m]
            c, m = raw.shape[2], raw.shape[3]
            kernel = raw.reshape(k, k, c * m).permute(2, 0, 1).unsqueeze(1)
            y = F.conv2d(pad_nchw(x, k, k, s, s, layer['padding']), kernel, stride=s, groups=c)
            if layer['useBias']:
                y = y + self.weight(n + '/bias').view(1, -1, 1, 1)
            return activate(y, 'linear' if logits else layer['activation'])
        if t == 'dense':
            y = x @ self.weight(n + '/kernel')
            if layer['useBias']:
                y = y + self.weight(n + '/bias')
            return activate(y, 'linear' if logits else layer['activation'])
        if t == 'maxPool':
            return max_pool(x, layer['size'], layer['size'], layer['stride'], layer['stride'], layer['padding'])
        if t == 'avgPool':
            return avg_pool(x, layer['size'], layer['size'], layer['stride'], layer['stride'], layer['padding'])
        if t == 'globalPool':
            if layer['mode'] == 'avg':
                return x.mean(dim=(2, 3))
            if layer['mode'] == 'max':
                return x.amax(dim=(2, 3))
            a = torch.sigmoid(self.weight(n + '/alpha'))
            return a * x.amax(dim=(2, 3)) + (1 - a) * x.mean(dim=(2, 3))
        if t == 'mixedPool':
            ph = math.ceil(x.shape[2] / layer['size'])
            pw = math.ceil(x.shape[3] / layer['size'])
            a = torch.sigmoid(self.weight(n + '/alpha'))
            return a * max_pool(x, ph, pw, ph, pw, 'same') + (1 - a) * avg_pool(x, ph, pw, ph, pw, 'same')
        if t == 'batchNorm':
            shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
            mean = self.weight(n + '/moving_mean').view(shape)
            var = self.weight(n + '/moving_variance').view(shape)
            gamma = self.weight(n + '/gamma').view(shape)
            beta = self.weight(n + '/beta').view(shape)
            return (x - mean) / torch.sqrt(var + BN_EPSILON) * gamma + beta
        if t == 'dropout':
            return x
        if t == 'flatten':
            # The engine flattens NHWC: put channels last before reshaping.
            return (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).reshape(x.shape[0], -1)
        if t == 'activation':
            return activate(x, layer['activation'])
        raise Unsupported('layer type ' + t)

    def chain(self, layers, x):
        for i, layer in enumerate(layers):
            x = self.layer(layer, x, logits=(i == len(layers) - 1))
        return x

    def residual(self, layer, x, gate):
        h = x
        for inner in layer['layers']:
            h = self.layer(inner, h)
        if gate is not None:
            h = h * gate.view(-1, *([1] * (h.dim() - 1)))
        if h.shape != x.shape:
            n = layer['name']
            stride = max(1, round(x.shape[2] / h.shape[2]))
            kernel = self.weight(n + '/projection/kernel').permute(3, 2, 0, 1)
            skip = F.conv2d(pad_nchw(x, 1, 1, stride, stride, 'same'), kernel, stride=stride)
            skip = skip + self.weight(n + '/projection/bias').view(1, -1, 1, 1)
        else:
            skip = x
        return activate(skip + h, layer['activation'])

    def forward_all(self, x_nhwc):
        """Every exit's logits (final last), as the engine's forwardAll."""
        x = x_nhwc.permute(0, 3, 1, 2) if x_nhwc.dim() == 4 else x_nhwc
        backbone = self.spec['backbone']
        exits = []
        for i, layer in enumerate(backbone):
            gate_spec = next((g for g in self.spec.get('gates', []) if g['block'] == layer['name']), None)
            if layer['type'] == 'residual':
                gate = None
                if gate_spec is not None:
                    p = torch.sigmoid(self.chain(gate_spec['head'], x)).view(-1)
                    # Hard 0/1 forward with a straight-through gradient, as the engine's hardGate.
                    hard = (p >= gate_spec['threshold']).to(p.dtype)
                    gate = p + (hard - p).detach()
                x = self.residual(layer, x, gate)
            else:
                x = self.layer(layer, x, logits=(i == len(backbone) - 1))
            for e in self.spec.get('exits', []):
                if e['after'] == layer['name']:
                    exits.append(self.chain(e['head'], x))
        exits.append(x)
        return exits


def pgd_linf(model, x, y, x0, eps, step, steps):
    """Madry's PGD on the final exit's cross-entropy, from the given start; the same update as src/attacks."""
    x_adv = x0.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model.forward_all(x_adv)[-1], y, reduction='sum')
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            moved = x_adv + step * torch.sign(grad)
            x_adv = torch.clamp(x + torch.clamp(moved - x, -eps, eps), 0.0, 1.0)
    return x_adv.detach()


def apgd_checkpoints(steps):
    """w_j = ceil(p_j N), p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) (Croce & Hein 2020)."""
    p = [0.0, 0.22]
    while True:
        nxt = p[-1] + max(p[-1] - p[-2] - 0.03, 0.06)
        if nxt > 1:
            break
        p.append(nxt)
    # Rounded before ceil, so that 0.22 * 100 is 22 and not 23.
    return sorted({math.ceil(round(q * steps, 9)) for q in p[1:]})


def apgd_ce_linf(model, x, y, eps, steps, seed, rho=0.75, momentum=0.75):
    """APGD-CE on the final exit, L-inf, one run of `steps` iterations (steps + 1 gradient evaluations per image),
    written from the paper's algorithm: step 2 eps per sample, momentum 0.75, the step halved at the checkpoints
    (too few loss increases since the last one, or no halving and no better loss at the last one), restarting there
    from the best point. Returns the final-exit accuracy that survives every iterate (AutoAttack's robust figure)."""
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    shape = (n,) + (1,) * (x.dim() - 1)

    def project(z):
        return torch.clamp(torch.min(torch.max(z, x - eps), x + eps), 0.0, 1.0)

    def evaluate(z):
        z = z.clone().requires_grad_(True)
        logits = model.forward_all(z)[-1]
        loss = F.cross_entropy(logits, y, reduction='none')
        (grad,) = torch.autograd.grad(loss.sum(), z)
        return loss.detach(), grad.detach(), logits.detach().argmax(dim=1)

    x_k = project(x + eps * (2 * torch.rand(x.shape, generator=g) - 1))
    loss, grad, pred = evaluate(x_k)
    standing = pred == y
    best_loss, x_best, grad_best = loss.clone(), x_k.clone(), grad.clone()
    eta = torch.full(shape, 2 * eps)
    checkpoints = set(apgd_checkpoints(steps))
    last_checkpoint = 0
    increases = torch.zeros(n)
    halved_last = torch.zeros(n, dtype=torch.bool)
    best_at_checkpoint = best_loss.clone()
    x_prev = x_k.clone()
    for k in range(steps):
        with torch.no_grad():
            z = project(x_k + eta * torch.sign(grad))
            a = 1.0 if k == 0 else momentum
            x_next = project(x_k + a * (z - x_k) + (1 - a) * (x_k - x_prev))
        x_prev = x_k
        x_k = x_next
        new_loss, grad, pred = evaluate(x_k)
        standing &= pred == y
        increases += (new_loss > loss).float()
        loss = new_loss
        better = new_loss > best_loss
        best_loss = torch.where(better, new_loss, best_loss)
        x_best = torch.where(better.view(shape), x_k, x_best)
        grad_best = torch.where(better.view(shape), grad, grad_best)
        if k + 1 in checkpoints:
            window = k + 1 - last_checkpoint
            halve = (increases < rho * window) | (~halved_last & (best_loss <= best_at_checkpoint))
            eta = torch.where(halve.view(shape), eta / 2, eta)
            x_k = torch.where(halve.view(shape), x_best, x_k)
            grad = torch.where(halve.view(shape), grad_best, grad)
            halved_last = halve
            best_at_checkpoint = best_loss.clone()
            increases.zero_()
            last_checkpoint = k + 1
    return standing.float().mean().item()


def conv_kernel_gflops(shape, kernel_shape, runs=20):
    """One convolution (NCHW, 'same', no bias), the fastest of `runs`: the kernel speed the PGD figure rests on."""
    x = torch.randn(*shape)
    w = torch.randn(*kernel_shape)
    pad = kernel_shape[2] // 2
    with torch.no_grad():
        for _ in range(3):
            F.conv2d(x, w, padding=pad)
        best = float('inf')
        for _ in range(runs):
            started = time.perf_counter()
            F.conv2d(x, w, padding=pad)
            best = min(best, time.perf_counter() - started)
    n, c, h, wd = shape
    flops = 2 * n * h * wd * kernel_shape[0] * c * kernel_shape[2] * kernel_shape[3]
    return flops / best / 1e9


def main(directory):
    with open(os.path.join(directory, 'params.json')) as f:
        params = json.load(f)
    if params.get('threads'):
        torch.set_num_threads(int(params['threads']))
    model = Model(directory)
    x = torch.from_numpy(np.load(os.path.join(directory, 'x.npy')))
    y = torch.from_numpy(np.load(os.path.join(directory, 'y.npy')).astype(np.int64))
    x0 = torch.from_numpy(np.load(os.path.join(directory, 'x0.npy')))
    with torch.no_grad():
        for k, logits in enumerate(model.forward_all(x)):
            np.save(os.path.join(directory, 'torch_logits_%d.npy' % k), logits.numpy().astype(np.float32))
    adv_tf = os.path.join(directory, 'x_adv_tf.npy')
    if os.path.exists(adv_tf):
        with torch.no_grad():
            logits = model.forward_all(torch.from_numpy(np.load(adv_tf)))[-1]
        np.save(os.path.join(directory, 'torch_adv_logits_tf.npy'), logits.numpy().astype(np.float32))
    # One step first (not timed): a warm-up, and the one-step iterate the TF.js side compares with its own.
    one_step = pgd_linf(model, x, y, x0, params['eps'], params['step'], 1)
    np.save(os.path.join(directory, 'torch_x_one_step.npy'), one_step.numpy().astype(np.float32))
    started = time.perf_counter()
    cpu_started = time.process_time()
    x_adv = pgd_linf(model, x, y, x0, params['eps'], params['step'], params['steps'])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    np.save(os.path.join(directory, 'torch_x_adv.npy'), x_adv.numpy().astype(np.float32))
    with torch.no_grad():
        robust = (model.forward_all(x_adv)[-1].argmax(dim=1) == y).float().mean().item()
    result = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'seconds': seconds,
        'cpuSeconds': cpu_seconds,
        'imagesStepsPerSecond': x.shape[0] * params['steps'] / seconds,
        'imagesStepsPerCpuSecond': x.shape[0] * params['steps'] / cpu_seconds,
        'robustAccuracy': robust,
    }
    if params.get('convShape'):
        result['convKernelGflops'] = conv_kernel_gflops(params['convShape'], params['convKernelShape'])
    apgd = params.get('apgd')
    if apgd:
        apgd_ce_linf(model, x, y, apgd['eps'], 1, apgd['seed'])  # warm-up, not timed
        started = time.perf_counter()
        cpu_started = time.process_time()
        robust = apgd_ce_linf(model, x, y, apgd['eps'], apgd['steps'], apgd['seed'])
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        evals = x.shape[0] * (apgd['steps'] + 1)
        result['apgd'] = {
            'seconds': seconds,
            'cpuSeconds': cpu_seconds,
            'gradEvals': evals,
            'imagesStepsPerSecond': evals / seconds,
            'robustAccuracy': robust,
        }
    with open(os.path.join(directory, 'torch_result.json'), 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: pgd.py DIR\n')
        sys.exit(2)
    try:
        main(sys.argv[1])
    except Unsupported as e:
        sys.stderr.write('unsupported in the PyTorch cross-check: %s\n' % e)
        sys.exit(3)
