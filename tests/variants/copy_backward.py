# ---- plus
def copy_backward(dout1, dout2, cache):
    return np.asarray(dout1, dtype=np.float64) + np.asarray(dout2, dtype=np.float64)


# ---- np_add
def copy_backward(dout1, dout2, cache):
    return np.add(dout1, dout2, dtype=np.float64)


# ---- accumulate_copy
def copy_backward(dout1, dout2, cache):
    dx = np.array(dout1, dtype=np.float64, copy=True)
    dx += dout2
    return dx


# ---- zeros_then_add
def copy_backward(dout1, dout2, cache):
    dout1 = np.asarray(dout1, dtype=np.float64)
    dx = np.zeros_like(dout1)
    dx += dout1
    dx += np.asarray(dout2, dtype=np.float64)
    return dx


# ---- stack_sum
def copy_backward(dout1, dout2, cache):
    return np.stack([np.asarray(dout1, dtype=np.float64), np.asarray(dout2, dtype=np.float64)]).sum(axis=0)


# ---- sum_of_list
def copy_backward(dout1, dout2, cache):
    return sum([np.asarray(d, dtype=np.float64) for d in (dout1, dout2)], np.zeros(np.shape(dout1)))


# ---- add_out
def copy_backward(dout1, dout2, cache):
    dout1 = np.asarray(dout1, dtype=np.float64)
    out = np.empty_like(dout1)
    np.add(dout1, dout2, out=out)
    return out


# ---- minus_negative
def copy_backward(dout1, dout2, cache):
    return np.asarray(dout1, dtype=np.float64) - (-np.asarray(dout2, dtype=np.float64))


# ---- reversed_order
def copy_backward(dout1, dout2, cache):
    return np.asarray(dout2, dtype=np.float64) + np.asarray(dout1, dtype=np.float64)


# ---- add_reduce
def copy_backward(dout1, dout2, cache):
    return np.add.reduce([np.asarray(dout1, dtype=np.float64), np.asarray(dout2, dtype=np.float64)])


# ---- loop
def copy_backward(dout1, dout2, cache):
    dx = 0.0
    for d in (dout1, dout2):
        dx = dx + np.asarray(d, dtype=np.float64)
    return dx
