# ---- tanh
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---- boolean_masks
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


# ---- logaddexp
def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


# ---- x_minus_logaddexp
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.exp(x - np.logaddexp(0.0, x))


# ---- clipped_naive
def sigmoid(x):
    z = np.clip(np.asarray(x, dtype=np.float64), -500.0, 500.0)
    return 1.0 / (1.0 + np.exp(-z))


# ---- errstate_naive
def sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


# ---- one_minus_for_negatives
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    s = 1.0 / (1.0 + np.exp(-np.abs(x)))
    return np.where(x < 0, 1.0 - s, s)


# ---- exp_of_min
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))


# ---- inplace_on_new_array
def sigmoid(x):
    out = np.tanh(np.multiply(x, 0.5, dtype=np.float64))
    out += 1.0
    out *= 0.5
    return out


# ---- vectorize
def _sigmoid_one(v):
    if v >= 0:
        return 1.0 / (1.0 + np.exp(-v))
    e = np.exp(v)
    return e / (1.0 + e)


def sigmoid(x):
    return np.vectorize(_sigmoid_one, otypes=[np.float64])(np.asarray(x, dtype=np.float64))


# ---- divide_where
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    num = np.where(x >= 0, 1.0, e)
    return np.divide(num, 1.0 + e)
