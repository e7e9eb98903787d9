# ---- dict_params
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    params = {"W": np.zeros((d, n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            _, dz = softmax_cross_entropy(X[idx] @ params["W"] + params["b"], y[idx])
            sgd_step(params, {"W": X[idx].T @ dz, "b": dz.sum(axis=0)}, lr)
    return params["W"], params["b"]


# ---- separate_arrays
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    W = np.zeros((X.shape[1], n_classes))
    b = np.zeros(n_classes)
    rng = np.random.default_rng(seed)
    for _epoch in range(epochs):
        perm = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = perm[start:start + batch_size]
            xb, yb = X[batch], np.asarray(y)[batch]
            _loss, dlogits = softmax_cross_entropy(np.dot(xb, W) + b, yb)
            params = {"W": W, "b": b}
            sgd_step(params, {"W": xb.T.dot(dlogits), "b": np.sum(dlogits, axis=0)}, lr)
            W, b = params["W"], params["b"]
    return W, b


# ---- array_split
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    n = X.shape[0]
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(n)
        for batch in np.array_split(perm, range(batch_size, n, batch_size)):
            if len(batch) == 0:
                continue
            _, g = softmax_cross_entropy(X[batch] @ params["W"] + params["b"], y[batch])
            sgd_step(params, {"W": X[batch].T @ g, "b": g.sum(0)}, lr)
    return params["W"], params["b"]


# ---- shuffled_copy
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        p = rng.permutation(len(y))
        Xs, ys = X[p], y[p]
        for s in range(0, len(ys), batch_size):
            xb, yb = Xs[s:s + batch_size], ys[s:s + batch_size]
            dz = softmax_cross_entropy(xb @ params["W"] + params["b"], yb)[1]
            sgd_step(params, {"W": xb.T @ dz, "b": dz.sum(axis=0)}, lr)
    return params["W"], params["b"]


# ---- while_loop
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)
    epoch = 0
    while epoch < epochs:
        perm = rng.permutation(X.shape[0])
        start = 0
        while start < X.shape[0]:
            idx = perm[start:start + batch_size]
            _, dz = softmax_cross_entropy(X[idx] @ params["W"] + params["b"], y[idx])
            sgd_step(params, {"b": dz.sum(axis=0), "W": X[idx].T @ dz}, lr)
            start += batch_size
        epoch += 1
    return params["W"], params["b"]


# ---- einsum_grads
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    params = {"W": np.zeros((X.shape[1], n_classes), dtype=np.float64), "b": np.zeros((n_classes,))}
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(X.shape[0])
        for k in range(int(np.ceil(X.shape[0] / batch_size))):
            idx = perm[k * batch_size:(k + 1) * batch_size]
            logits = np.einsum("nd,dc->nc", X[idx], params["W"]) + params["b"]
            _, dz = softmax_cross_entropy(logits, np.asarray(y)[idx])
            sgd_step(params, {"W": np.einsum("nd,nc->dc", X[idx], dz), "b": dz.sum(axis=0)}, lr)
    return params["W"], params["b"]


# ---- batches_list
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    n = len(X)
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(n)
        batches = [perm[i:i + batch_size] for i in range(0, n, batch_size)]
        for idx in batches:
            xb = X[idx]
            _, dz = softmax_cross_entropy(xb @ params["W"] + params["b"], y[idx])
            grads = {}
            grads["W"] = xb.T @ dz
            grads["b"] = np.sum(dz, axis=0)
            sgd_step(params, grads, lr)
    return params["W"], params["b"]


# ---- matmul_function
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.intp)
    params = dict(W=np.zeros((X.shape[1], n_classes)), b=np.zeros(n_classes))
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            sel = perm[start:start + batch_size]
            logits = np.add(np.matmul(X[sel], params["W"]), params["b"])
            _, dz = softmax_cross_entropy(logits, y[sel])
            sgd_step(params, dict(W=np.matmul(X[sel].T, dz), b=dz.sum(axis=0)), lr)
    return params["W"], params["b"]


# ---- int_batch_count
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    params = {"W": np.zeros((X.shape[1], n_classes)), "b": np.zeros(n_classes)}
    gen = np.random.default_rng(seed)
    n_batches = (n + batch_size - 1) // batch_size
    for _ in range(epochs):
        perm = gen.permutation(n)
        for k in range(n_batches):
            idx = perm[k * batch_size:min(n, (k + 1) * batch_size)]
            _, dz = softmax_cross_entropy(X[idx] @ params["W"] + params["b"], np.asarray(y)[idx])
            sgd_step(params, {"W": X[idx].T @ dz, "b": dz.sum(axis=0)}, lr)
    return params["W"], params["b"]


# ---- W_b_views
def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    X = np.asarray(X, dtype=np.float64)
    W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    params = {"W": W, "b": b}  # sgd_step updates W and b in place
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(X.shape[0])
        for i in range(0, X.shape[0], batch_size):
            idx = perm[i:i + batch_size]
            _, dz = softmax_cross_entropy(X[idx] @ W + b, np.asarray(y)[idx])
            sgd_step(params, {"W": X[idx].T @ dz, "b": dz.sum(axis=0)}, lr)
    return W, b
