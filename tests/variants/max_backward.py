# ---- where_nested
def max_backward(dout, cache):
    x, y = cache
    dx = np.where(x > y, dout, np.where(x == y, dout / 2, 0.0))
    dy = np.where(y > x, dout, np.where(x == y, dout / 2, 0.0))
    return dx, dy


# ---- masks_float
def max_backward(dout, cache):
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    tie = (x == y).astype(np.float64)
    return dout * ((x > y) + 0.5 * tie), dout * ((y > x) + 0.5 * tie)


# ---- boolean_indexing
def max_backward(dout, cache):
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    dx, dy = np.zeros_like(dout), np.zeros_like(dout)
    gx, gy, tie = x > y, y > x, x == y
    dx[gx] = dout[gx]
    dy[gy] = dout[gy]
    dx[tie] = dout[tie] / 2
    dy[tie] = dout[tie] / 2
    return dx, dy


# ---- select
def max_backward(dout, cache):
    x, y = cache
    share = np.select([x > y, x == y], [1.0, 0.5], default=0.0)
    return dout * share, dout * (1.0 - share)


# ---- sign
def max_backward(dout, cache):
    x, y = cache
    share = (1.0 + np.sign(np.asarray(x, dtype=np.float64) - y)) / 2.0
    return dout * share, dout - dout * share


# ---- heaviside
def max_backward(dout, cache):
    x, y = cache
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return dout * np.heaviside(x - y, 0.5), dout * np.heaviside(y - x, 0.5)


# ---- copyto
def max_backward(dout, cache):
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    dx = np.zeros_like(dout)
    dy = np.zeros_like(dout)
    np.copyto(dx, dout, where=x > y)
    np.copyto(dy, dout, where=y > x)
    np.copyto(dx, dout / 2, where=x == y)
    np.copyto(dy, dout / 2, where=x == y)
    return dx, dy


# ---- maximum_compare
def max_backward(dout, cache):
    x, y = cache
    m = np.maximum(x, y)
    ax = (x == m).astype(np.float64)
    ay = (y == m).astype(np.float64)
    return dout * ax / (ax + ay), dout * ay / (ax + ay)


# ---- greater_equal
def max_backward(dout, cache):
    x, y = cache
    ge, le = (x >= y), (x <= y)
    w = ge.astype(np.float64) + le.astype(np.float64)
    return dout * ge / w, dout * le / w


# ---- piecewise_share
def max_backward(dout, cache):
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    share = np.full(dout.shape, 0.5)
    share[np.asarray(x > y)] = 1.0
    share[np.asarray(x < y)] = 0.0
    return dout * share, dout * (1 - share)


# ---- half_sum
def max_backward(dout, cache):
    x, y = cache
    x_wins = (x > y) * 1.0
    y_wins = (y > x) * 1.0
    tie = 1.0 - x_wins - y_wins
    return dout * (x_wins + tie / 2), dout * (y_wins + tie / 2)
