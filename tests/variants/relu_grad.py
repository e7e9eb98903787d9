# ---- astype
def relu_grad(x):
    return (np.asarray(x) > 0).astype(np.float64)


# ---- where
def relu_grad(x):
    return np.where(np.asarray(x, dtype=np.float64) > 0, 1.0, 0.0)


# ---- heaviside
def relu_grad(x):
    return np.heaviside(np.asarray(x, dtype=np.float64), 0.0)


# ---- greater_dtype
def relu_grad(x):
    return np.greater(x, 0).astype(float)


# ---- mask_into_zeros
def relu_grad(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    out[x > 0] = 1.0
    return out


# ---- sign_clip
def relu_grad(x):
    return np.clip(np.sign(np.asarray(x, dtype=np.float64)), 0.0, 1.0)


# ---- multiply_bool
def relu_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return np.ones_like(x) * (x > 0)


# ---- array_of_bool
def relu_grad(x):
    return np.array(np.asarray(x) > 0, dtype=np.float64)


# ---- select
def relu_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return np.select([x > 0], [1.0], default=0.0)


# ---- full_like
def relu_grad(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.full_like(x, 0.0)
    np.copyto(out, 1.0, where=x > 0)
    return out


# ---- not_less_equal
def relu_grad(x):
    return np.logical_not(np.asarray(x, dtype=np.float64) <= 0).astype(np.float64)
