# ---- max_shift
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ---- logsumexp
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return np.exp(z - lse)


# ---- moveaxis
def softmax(z, axis=-1):
    z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    e = np.exp(z - z.max(axis=-1)[..., None])
    p = e / e.sum(axis=-1)[..., None]
    return np.moveaxis(p, -1, axis)


# ---- expand_dims
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.expand_dims(z.max(axis=axis), axis)
    e = np.exp(shifted)
    return e / np.expand_dims(e.sum(axis=axis), axis)


# ---- subtract_out
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.empty_like(z)
    np.subtract(z, z.max(axis=axis, keepdims=True), out=e)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


# ---- apply_along_axis
def _softmax_1d(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def softmax(z, axis=-1):
    return np.apply_along_axis(_softmax_1d, axis, np.asarray(z, dtype=np.float64))


# ---- swapaxes
def softmax(z, axis=-1):
    z = np.swapaxes(np.asarray(z, dtype=np.float64), axis, -1)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.swapaxes(e / e.sum(axis=-1, keepdims=True), axis, -1).copy()


# ---- logaddexp_reduce
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    return np.exp(z - np.logaddexp.reduce(z, axis=axis, keepdims=True))


# ---- reciprocal
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e * np.reciprocal(e.sum(axis=axis, keepdims=True))


# ---- copy_then_inplace
def softmax(z, axis=-1):
    p = np.array(z, dtype=np.float64, copy=True)
    p -= p.max(axis=axis, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=axis, keepdims=True)
    return p


# ---- normalized_axis
def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    axis = axis % z.ndim
    shape = list(z.shape)
    shape[axis] = 1
    e = np.exp(z - z.max(axis=axis).reshape(shape))
    return e / e.sum(axis=axis).reshape(shape)
