# ---- one_minus_square
def tanh_grad(x):
    return 1.0 - np.tanh(x) ** 2


# ---- factored
def tanh_grad(x):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return (1.0 - t) * (1.0 + t)


# ---- square_function
def tanh_grad(x):
    return np.subtract(1.0, np.square(np.tanh(x)))


# ---- cosh_errstate
def tanh_grad(x):
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(np.asarray(x, dtype=np.float64)) ** 2


# ---- sigmoid_identity
def tanh_grad(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


# ---- multiply_out
def tanh_grad(x):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    out = np.multiply(t, t)
    out = np.subtract(1.0, out)
    return out


# ---- power
def tanh_grad(x):
    return 1 - np.power(np.tanh(np.asarray(x, dtype=float)), 2)


# ---- one_minus_t_times_t
def tanh_grad(x):
    t = np.tanh(x)
    return 1.0 - t * t


# ---- via_sigmoid
def tanh_grad(x):
    s = sigmoid(2.0 * np.asarray(x, dtype=np.float64))
    return 4.0 * s * (1.0 - s)


# ---- clip_then_cosh
def tanh_grad(x):
    z = np.clip(np.asarray(x, dtype=np.float64), -300.0, 300.0)
    return np.cosh(z) ** -2


# ---- negative_inplace
def tanh_grad(x):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    t = -(t * t)
    t += 1.0
    return t
