#!/bin/sh
# t_qa.sh -- regressions found by QA (hostile inputs to the newer constructs): each spec must
# end with exit status 1 and the stated message, never a signal, an internal error (2) or a
# sanitizer report.
#   div-zero/*   a division of two constants whose fold is refused (x / 0) was emitted as C's
#                integer division '1 / 0' and killed the run with SIGFPE (exit 136); now it is a
#                double division and the loss that reads it stops the training as non-finite
H=${BUILD:-build}/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {   # NAME MESSAGE (a fixed string), spec on stdin
    f=$tmp/$(echo "$1" | tr / _)
    cat > "$f.hyco"
    $H "$f.hyco" --run --quiet > "$f.out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -qF "$2" "$f.out" && ! grep -q 'Sanitizer\|runtime error' "$f.out"; then
        echo "ok qa/$1"
    else
        echo "FAIL qa/$1: exit $rc (want 1 and '$2'):"; sed 's/^/    /' "$f.out" | head -5
    fi
}
run div-zero/loss "loss 'pde' became inf" <<'S'
domain line = interval(x: 0 .. 1, mesh 0.1)
net u = mlp(1 -> 1, width 8, depth 2, tanh)
loss pde = mse(dxx(u) + 1/0) over line
train 2 epochs { step pde }
S
run div-zero/expect ': inf (< 1) FAIL' <<'S'
domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)
net v = mlp(2 -> 1, width 8, depth 2, tanh)
field V(x, y) = 0 * v(x, y) + 2
loss pde = mse(lap(v)) over sq
train 2 epochs { step pde }
expect rel_l2(V, 1e-300) over sq < 1
S
run div-zero/sim "simulator 'b' became non-finite" <<'S'
grid g = periodic(x: 0 .. 2, n 16)
param nu = 0.05
sim b on g {
    state u = -sin(pi*x)
    step rk4 dt 1e-3 steps 5
    dt(u) = nu * dxx(u) + 1/0
}
loss fit = mse(b.u) over b
train 2 epochs { step fit }
S
run div-zero/steady "steady simulator 'b' has a non-finite solution" <<'S'
grid g = dirichlet(x: 0 .. 1, n 16)
param nu = 0.05
sim b on g {
    state u = 0
    step steady
    diffusion(u) = nu
    source(u) = 1/0
}
loss fit = mse(b.u) over b
train 2 epochs { step fit }
S
run div-zero/steady-newton "steady simulator 'b' has a non-finite solution" <<'S'
grid g = dirichlet(x: 0 .. 1, n 16)
param nu = 0.05
sim b on g {
    state u = 0
    step steady
    diffusion(u) = nu
    source(u) = u * u + 1/0
}
loss fit = mse(b.u) over b
train 2 epochs { step fit }
S
# not-finite/*: a constant that is not a finite number (the measure of a huge domain in an
# integral) was printed into the emitted C as 'inf': internal error, TCC rejected the C
run not-finite/integral-measure "loss 'pde' became NaN" <<'S'
domain sq = rect(x: -1e308 .. 1e308, y: -1e308 .. 1e308)
points P = random(10) in sq
net u = mlp(2 -> 1, width 8, depth 2, tanh)
loss pde = integral(u^2) over P
train 2 epochs { step pde }
S
run not-finite/integral-boundary "loss 'pde' became inf" <<'S'
domain dk = disk(x, y, center(0, 0), radius 1e300)
points P = random(10) in dk
points B = random(10) on boundary(dk)
net u = mlp(2 -> 1, width 8, depth 2, tanh)
loss pde = integral(u^2) over P + integral(u) over B
train 2 epochs { step pde }
S
