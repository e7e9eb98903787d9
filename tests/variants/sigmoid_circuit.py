# ---- gates
def sigmoid_circuit(x, w0, w1):
    a, mul_cache = mul_forward(w1, x)
    z, add_cache = add_forward(w0, a)
    f = sigmoid(z)
    dw0, da = add_backward(sigmoid_grad(z), add_cache)
    dw1, dx = mul_backward(da, mul_cache)
    return f, (dx, dw0, dw1)


# ---- direct_formula
def sigmoid_circuit(x, w0, w1):
    x, w0, w1 = (np.asarray(v, dtype=np.float64) for v in (x, w0, w1))
    z = w0 + w1 * x
    f = sigmoid(z)
    dz = f * (1.0 - f)
    return f, (dz * w1, dz, dz * x)


# ---- sigmoid_grad_only
def sigmoid_circuit(x, w0, w1):
    z = np.asarray(w0, dtype=np.float64) + np.asarray(w1, dtype=np.float64) * np.asarray(x, dtype=np.float64)
    g = sigmoid_grad(z)
    return sigmoid(z), (g * w1, g * 1.0, g * x)


# ---- mul_x_first
def sigmoid_circuit(x, w0, w1):
    a, cache = mul_forward(x, w1)
    z, add_cache = add_forward(a, w0)
    f = sigmoid(z)
    da, dw0 = add_backward(sigmoid_grad(z), add_cache)
    dx, dw1 = mul_backward(da, cache)
    return f, (dx, dw0, dw1)


# ---- manual_chain
def sigmoid_circuit(x, w0, w1):
    x, w0, w1 = (np.asarray(v, dtype=np.float64) for v in (x, w0, w1))
    a = w1 * x
    z = w0 + a
    f = sigmoid(z)
    df_dz = sigmoid_grad(z)
    df_da = df_dz * 1.0
    df_dw0 = df_dz * 1.0
    return f, (df_da * w1, df_dw0, df_da * x)


# ---- np_add_multiply
def sigmoid_circuit(x, w0, w1):
    z = np.add(w0, np.multiply(w1, x, dtype=np.float64))
    f = sigmoid(z)
    g = sigmoid_grad(z)
    return f, (np.multiply(g, w1), np.asarray(g, dtype=np.float64).copy(), np.multiply(g, x))


# ---- dict_of_grads
def sigmoid_circuit(x, w0, w1):
    x, w0, w1 = (np.asarray(v, dtype=np.float64) for v in (x, w0, w1))
    z = w0 + w1 * x
    dz = sigmoid_grad(z)
    grads = {"x": dz * w1, "w0": dz + 0.0, "w1": dz * x}
    return sigmoid(z), (grads["x"], grads["w0"], grads["w1"])


# ---- one_minus_f
def sigmoid_circuit(x, w0, w1):
    z, cache = add_forward(w0, mul_forward(w1, x)[0])
    f = sigmoid(z)
    dz = f - f * f
    dw0, da = add_backward(dz, cache)
    return f, (da * w1, dw0, da * x)


# ---- tuple_return_list
def sigmoid_circuit(x, w0, w1):
    a, mc = mul_forward(w1, x)
    z, ac = add_forward(w0, a)
    f = sigmoid(z)
    grads = list(add_backward(sigmoid_grad(z), ac))
    grads[1:] = mul_backward(grads[1], mc)[::-1]
    dw0, dx, dw1 = grads
    return f, (dx, dw0, dw1)


# ---- scaled_copies
def sigmoid_circuit(x, w0, w1):
    x, w0, w1 = (np.asarray(v, dtype=np.float64) for v in (x, w0, w1))
    z = w1 * x + w0
    s = sigmoid(z)
    local = sigmoid_grad(z)
    dx = np.multiply(local, w1)
    dw1 = np.multiply(local, x)
    return s, (dx, np.copy(local), dw1)


# ---- staged_dout
def sigmoid_circuit(x, w0, w1):
    a, mul_cache = mul_forward(w1, x)
    z, add_cache = add_forward(w0, a)
    f = sigmoid(z)
    dout = np.ones_like(np.asarray(f, dtype=np.float64))
    dz = dout * sigmoid_grad(z)
    dw0, da = add_backward(dz, add_cache)
    dw1, dx = mul_backward(da, mul_cache)
    return f, (dx, dw0, dw1)
