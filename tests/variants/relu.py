# ---- maximum
def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


# ---- where
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, 0.0)


# ---- mask_multiply
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return x * (x > 0)


# ---- clip
def relu(x):
    return np.clip(np.asarray(x, dtype=np.float64), 0.0, None)


# ---- copy_then_zero
def relu(x):
    out = np.array(x, dtype=np.float64, copy=True)
    out[out < 0] = 0.0
    return out


# ---- abs_average
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    out = (x + np.abs(x)) / 2.0
    return out + 0.0


# ---- fmax
def relu(x):
    return np.fmax(x, 0.0)


# ---- maximum_out
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    np.maximum(x, 0.0, out=out)
    return out


# ---- heaviside
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return x * np.heaviside(x, 0.0)


# ---- putmask
def relu(x):
    out = np.copy(np.asarray(x, dtype=np.float64))
    np.putmask(out, out < 0, 0.0)
    return out


# ---- select
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.select([x > 0], [x], default=0.0)
