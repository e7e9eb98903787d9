# ---- swap
def mul_backward(dout, cache):
    x, y = cache
    return dout * y, dout * x


# ---- np_multiply
def mul_backward(dout, cache):
    x, y = cache
    return np.multiply(dout, y), np.multiply(dout, x)


# ---- asarray_all
def mul_backward(dout, cache):
    x, y = (np.asarray(v, dtype=np.float64) for v in cache)
    dout = np.asarray(dout, dtype=np.float64)
    return np.asarray(y * dout), np.asarray(x * dout)


# ---- indexing_cache
def mul_backward(dout, cache):
    return cache[1] * dout, cache[0] * dout


# ---- multiply_out
def mul_backward(dout, cache):
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    dx, dy = np.empty_like(dout), np.empty_like(dout)
    np.multiply(dout, y, out=dx)
    np.multiply(dout, x, out=dy)
    return dx, dy


# ---- list_comprehension
def mul_backward(dout, cache):
    x, y = cache
    return tuple(np.asarray(dout, dtype=np.float64) * other for other in (y, x))


# ---- copy_then_scale
def mul_backward(dout, cache):
    x, y = cache
    dx = np.array(dout, dtype=np.float64, copy=True)
    dy = dx.copy()
    dx *= y
    dy *= x
    return dx, dy


# ---- reversed_cache
def mul_backward(dout, cache):
    y, x = cache[::-1]
    return dout * y, dout * x


# ---- einsum
def mul_backward(dout, cache):
    x, y = (np.asarray(v, dtype=np.float64) for v in cache)
    dout = np.asarray(dout, dtype=np.float64)
    return np.einsum("...,...->...", dout, y), np.einsum("...,...->...", dout, x)


# ---- unpack_list
def mul_backward(dout, cache):
    [x, y] = list(cache)
    dx = y * dout
    dy = x * dout
    return (dx, dy)


# ---- stacked
def mul_backward(dout, cache):
    x, y = cache
    both = np.stack([np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64)]) * dout
    return both[0], both[1]
