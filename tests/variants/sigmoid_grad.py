# ---- s_times_one_minus_s
def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


# ---- s_minus_s_squared
def sigmoid_grad(x):
    s = sigmoid(x)
    return s - s * s


# ---- sigmoid_of_minus_x
def sigmoid_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return sigmoid(x) * sigmoid(-x)


# ---- cosh
def sigmoid_grad(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return 0.25 / np.cosh(0.5 * x) ** 2


# ---- tanh_identity
def sigmoid_grad(x):
    t = np.tanh(0.5 * np.asarray(x, dtype=np.float64))
    return 0.25 * (1.0 - t * t)


# ---- exp_abs
def sigmoid_grad(x):
    e = np.exp(-np.abs(np.asarray(x, dtype=np.float64)))
    return e / (1.0 + e) ** 2


# ---- power
def sigmoid_grad(x):
    s = np.asarray(sigmoid(x))
    return np.power(s, 1.0) * np.subtract(1.0, s)


# ---- multiply_out
def sigmoid_grad(x):
    s = np.asarray(sigmoid(x), dtype=np.float64)
    out = np.empty_like(s)
    np.subtract(1.0, s, out=out)
    np.multiply(out, s, out=out)
    return out


# ---- logaddexp
def sigmoid_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x) - np.logaddexp(0.0, x))


# ---- product_of_exps
def sigmoid_grad(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    s = 1.0 / (1.0 + e)  # σ(|x|); σ'(x) = σ'(|x|)
    return s * (e * s)


# ---- float_cast
def sigmoid_grad(x):
    s = sigmoid(np.asarray(x, dtype=np.float64)).astype(np.float64)
    return (1.0 - s) * s
