# ---- minus_equals
def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]


# ---- subtract_out
def sgd_step(params, grads, lr):
    for name, p in params.items():
        np.subtract(p, lr * np.asarray(grads[name], dtype=np.float64), out=p)


# ---- ellipsis_assign
def sgd_step(params, grads, lr):
    for name in params:
        p = params[name]
        p[...] = p - lr * grads[name]


# ---- ellipsis_minus_equals
def sgd_step(params, grads, lr):
    for name, g in grads.items():
        if name in params:
            params[name][...] -= lr * g


# ---- items_loop
def sgd_step(params, grads, lr):
    for name, p in params.items():
        p -= lr * grads[name]
    return None


# ---- copyto
def sgd_step(params, grads, lr):
    for name in list(params):
        np.copyto(params[name], params[name] - lr * grads[name])


# ---- add_negative
def sgd_step(params, grads, lr):
    for name in params:
        params[name] += -lr * np.asarray(grads[name])


# ---- multiply_then_subtract
def sgd_step(params, grads, lr):
    for name in sorted(params):
        step = np.multiply(grads[name], lr)
        params[name] -= step


# ---- slice_assign
def sgd_step(params, grads, lr):
    for name in params:
        p = params[name]
        p.reshape(-1)[:] = (p - lr * grads[name]).reshape(-1)


# ---- keys_zip
def sgd_step(params, grads, lr):
    names = list(params.keys())
    for name, g in zip(names, [grads[n] for n in names], strict=True):
        params[name] -= lr * g


# ---- float_lr
def sgd_step(params, grads, lr):
    lr = float(lr)
    for key, value in params.items():
        value -= lr * np.asarray(grads[key], dtype=value.dtype)
