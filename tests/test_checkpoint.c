/* test_checkpoint.c -- checkpoints at the library level (runtime/checkpoint.c).
 *
 * - round trip: a context trained N epochs, saved, loaded into a fresh
 *   context of the same program and trained on gives bitwise the parameters,
 *   optimizer states and losses of the context that never stopped; the spec
 *   has every kind of state (Adam with a DLRS schedule, SGD with momentum on
 *   a param, SoftAdapt and lbPINNs balancers, an L-BFGS phase), and the stop
 *   lies in each phase;
 * - atomicity: with the disk-full hook (hy_io_fail_after) at many byte
 *   counts a save fails, the previous checkpoint stays byte for byte and no
 *   temporary directory is left; a stale temporary of a dead process is
 *   removed by the next save; a directory with foreign files is never
 *   replaced;
 * - rejection: a flipped byte (CRC), a truncated archive, a missing file, a
 *   checkpoint of another architecture or seed fail to load with messages
 *   naming the file and the difference;
 * - diverged state is not saved.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ir.h"
#include "hyrt.h"
#include "tap.h"

static const char *spec =
    "seed 1\n"
    "domain line = interval(x: 0 .. 1, mesh 0.05)\n"
    "points ends = linspace(0, 1, 2) in line\n"
    "net n = mlp(1 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-2) schedule dlrs(1e-2, 3)\n"
    "param k = 0.5 optimizer sgd(lr 1e-2, momentum 0.9)\n"
    "loss pde = mse(dxx(n) + k * n - x) over line\n"
    "loss bc = mse(n) over ends\n"
    "weights w = softadapt(pde, bc)\n"
    "weights v = lbpinns(pde, bc)\n"
    "train 30 epochs { step w.pde * pde, w.bc * bc\n"
    "                  step v.pde * pde, v.bc * bc }\n"
    "then 6 iterations optimizer lbfgs(history 5) { step pde, bc }\n"
    "track w, lr\n";

typedef struct Built {
    Comp *c;
    HyCtx *ctx;
    void *jit;
} Built;

static int build(Built *b, const char *src, long seed)
{
    memset(b, 0, sizeof *b);
    b->c = comp_new("ck.hyco", src, strlen(src), stderr);
    if (comp_front(b->c))
        return 1;
    if (seed >= 0)
        b->c->seed = (unsigned long long)seed;
    b->ctx = hy_ctx_new();
    hy_set_quiet(b->ctx, 1);
    return comp_jit(b->c, b->ctx, &b->jit, NULL);
}

static void unbuild(Built *b)
{
    hy_ctx_free(b->ctx);
    jit_free(b->jit);
    comp_free(b->c);
    memset(b, 0, sizeof *b);
}

static HyRunInfo info_of(const char *src)
{
    HyRunInfo i = {"ck.hyco", src, strlen(src), -1.0, 0};
    return i;
}

/* Whole file into a malloc'd buffer; NULL if unreadable. */
static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*len + 1);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static const char *files[] = {"manifest.npz", "manifest.json", "weights.npz", "optimizer.npz",
                              "state.npz", "history.npz"};
#define NF 6

typedef struct Snap {
    char *data[NF];
    long len[NF];
} Snap;

static void snap_take(Snap *s, const char *dir)
{
    char p[512];
    for (int i = 0; i < NF; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        s->data[i] = slurp(p, &s->len[i]);
    }
}

static int snap_same(const Snap *a, const char *dir)
{
    Snap b;
    snap_take(&b, dir);
    int same = 1;
    for (int i = 0; i < NF; i++) {
        same &= a->data[i] && b.data[i] && a->len[i] == b.len[i] &&
                memcmp(a->data[i], b.data[i], (size_t)a->len[i]) == 0;
        free(b.data[i]);
    }
    return same;
}

static void snap_free(Snap *s)
{
    for (int i = 0; i < NF; i++)
        free(s->data[i]);
}

/* Entries of directory dir whose names start with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rm -rf %s failed\n", dir);
}

/* Everything a run's future depends on, compared bitwise. */
static int same_state(HyCtx *a, HyCtx *b, char *why, size_t n)
{
    long np = hy_total_params(a);
    if (np != hy_total_params(b) || memcmp(hy_params(a), hy_params(b), sizeof(double) * (size_t)np)) {
        snprintf(why, n, "parameters differ");
        return 0;
    }
    for (int s = 0; s < hy_num_substeps(a); s++)
        for (int t = 0; t < hy_num_trainables(a); t++) {
            long la, lb;
            const double *x = hy_opt_state(a, s, t, &la), *y = hy_opt_state(b, s, t, &lb);
            if (la != lb || (la && memcmp(x, y, sizeof(double) * (size_t)la))) {
                snprintf(why, n, "optimizer state of substep %d, trainable %d differs", s, t);
                return 0;
            }
        }
    long ra, rb;
    int ca, cb;
    const double *ha = hy_history(a, &ra, &ca), *hb = hy_history(b, &rb, &cb);
    if (ra != rb || ca != cb || memcmp(ha, hb, sizeof(double) * (size_t)(ra * ca))) {
        snprintf(why, n, "histories differ (%ld x %d rows vs %ld x %d)", ra, ca, rb, cb);
        return 0;
    }
    return 1;
}

static void test_roundtrip(const char *tmp)
{
    static const long stops[] = {1, 7, 30, 33};   /* first epoch, phase 0, its end, in L-BFGS */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/rt", tmp);
    HyRunInfo info = info_of(spec);
    Built full;
    if (build(&full, spec, -1)) {
        tap_check(0, "checkpoint/build", "spec did not build");
        return;
    }
    hy_train(full.ctx);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        char name[96], why[256] = "";
        Built a, b;
        build(&a, spec, -1);
        hy_set_until(a.ctx, stops[i]);
        hy_train(a.ctx);
        int ok = hy_checkpoint_save(a.ctx, dir, &info) == 0;
        build(&b, spec, -1);
        HyCkMeta meta;
        ok = ok && hy_checkpoint_load(b.ctx, dir, HY_CK_ALL, &info, &meta) == 0;
        ok = ok && meta.epoch == stops[i] && meta.seed == 1;
        ok = ok && hy_train(b.ctx) == 0;
        ok = ok && same_state(full.ctx, b.ctx, why, sizeof why);
        snprintf(name, sizeof name, "checkpoint/resume_bitwise_after_epoch_%ld", stops[i]);
        tap_check(ok, name, "%s", why[0] ? why : "save, load or train failed");
        unbuild(&a);
        unbuild(&b);
    }
    /* weights only: parameters equal, counters untouched */
    Built w;
    build(&w, spec, -1);
    int ok = hy_checkpoint_load(w.ctx, dir, HY_CK_WEIGHTS, &info, NULL) == 0;
    Built a;
    build(&a, spec, -1);
    hy_set_until(a.ctx, 33);
    hy_train(a.ctx);
    ok = ok && memcmp(hy_params(w.ctx), hy_params(a.ctx),
                      sizeof(double) * (size_t)hy_total_params(a.ctx)) == 0;
    tap_check(ok, "checkpoint/weights_only", "weights differ after a weights-only load");
    unbuild(&a);
    unbuild(&w);
    unbuild(&full);
    rm_rf(dir);
}

static void test_atomic(const char *tmp)
{
    char dir[512], stale[560];
    snprintf(dir, sizeof dir, "%s/at", tmp);
    HyRunInfo info = info_of(spec);
    Built a;
    build(&a, spec, -1);
    hy_set_until(a.ctx, 10);
    hy_train(a.ctx);
    tap_check(hy_checkpoint_save(a.ctx, dir, &info) == 0, "checkpoint/atomic_first_save",
              "could not save");
    Snap before;
    snap_take(&before, dir);
    hy_set_until(a.ctx, 20);
    hy_train(a.ctx);   /* the state moves on: a successful save would change every file */
    /* every byte count below the largest file's size makes some file fail */
    long big = 0;
    for (int i = 0; i < NF; i++)
        big = before.len[i] > big ? before.len[i] : big;
    static const long cut[] = {0, 1, 64, 100, 500, 1000, 2000, 4000, 20000, 60000};
    int all = 1, left = 0, tried = 0;
    for (size_t i = 0; i < sizeof cut / sizeof cut[0] && cut[i] < big; i++, tried++) {
        hy_io_fail_after(cut[i]);
        int r = hy_checkpoint_save(a.ctx, dir, &info);
        hy_io_fail_after(-1);
        all &= r != 0 && snap_same(&before, dir);
        left += count_prefix(tmp, "at.");
    }
    tap_check(all && tried >= 5, "checkpoint/disk_full_keeps_previous_bytes",
              "a failed save changed the previous checkpoint (%d cuts)", tried);
    tap_check(left == 0, "checkpoint/disk_full_leaves_no_temporary", "%d left", left);
    /* a killed save's temporary (dead pid) goes away with the next save */
    snprintf(stale, sizeof stale, "%s.tmp-2147483646", dir);
    mkdir(stale, 0777);
    char junk[700];
    snprintf(junk, sizeof junk, "%s/weights.npz", stale);
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("partial", f);
        fclose(f);
    }
    int ok = hy_checkpoint_save(a.ctx, dir, &info) == 0 && !snap_same(&before, dir);
    tap_check(ok && access(stale, F_OK) != 0 && count_prefix(tmp, "at.") == 0,
              "checkpoint/replace_and_remove_stale_temporary", "save %d, stale %s", ok,
              access(stale, F_OK) == 0 ? "kept" : "removed");
    /* foreign files: never replaced */
    snprintf(junk, sizeof junk, "%s/notes.txt", dir);
    f = fopen(junk, "w");
    if (f)
        fclose(f);
    Snap now;
    snap_take(&now, dir);
    tap_check(hy_checkpoint_save(a.ctx, dir, &info) != 0 && snap_same(&now, dir) &&
                  access(junk, F_OK) == 0,
              "checkpoint/foreign_directory_not_replaced", "a directory with notes.txt was replaced");
    snap_free(&now);
    snap_free(&before);
    /* a diverged state is not saved */
    unlink(junk);
    snap_take(&now, dir);
    hy_loss_values(a.ctx)[0] = NAN;
    tap_check(hy_checkpoint_save(a.ctx, dir, &info) != 0 && snap_same(&now, dir),
              "checkpoint/diverged_not_saved", "a NaN state was saved");
    snap_free(&now);
    unbuild(&a);
    rm_rf(dir);
}

static int load_fails(const char *src, long seed, const char *dir)
{
    Built b;
    if (build(&b, src, seed))
        return -1;
    HyRunInfo info = info_of(src);
    int r = hy_checkpoint_load(b.ctx, dir, HY_CK_ALL, &info, NULL);
    unbuild(&b);
    return r != 0;
}

static void test_reject(const char *tmp)
{
    char dir[512], p[700], cmd[1800];
    snprintf(dir, sizeof dir, "%s/rj", tmp);
    HyRunInfo info = info_of(spec);
    Built a;
    build(&a, spec, -1);
    hy_set_until(a.ctx, 5);
    hy_train(a.ctx);
    hy_checkpoint_save(a.ctx, dir, &info);
    unbuild(&a);
    tap_check(load_fails(spec, -1, dir) == 0, "checkpoint/loads_clean", "the clean copy failed");
    tap_check(load_fails(spec, 2, dir) == 1, "checkpoint/rejects_other_seed", "loaded");
    /* another architecture */
    char other[2048];
    snprintf(other, sizeof other, "%s", spec);
    char *w = strstr(other, "width 8");
    if (w)
        w[6] = '9';
    tap_check(load_fails(other, -1, dir) == 1, "checkpoint/rejects_other_width", "loaded");
    /* a newer format: refused, with the formats named */
    {
        char copy[560], mp[700], err[256];
        snprintf(copy, sizeof copy, "%s/fmt", tmp);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, dir, copy);
        snprintf(mp, sizeof mp, "%s/manifest.npz", copy);
        int n = 0, ok = system(cmd) == 0;
        HyArray *arr = NULL;
        ok = ok && hy_npz_read(mp, &n, &arr, err, sizeof err) == 0;
        if (ok) {
            const char *names[64];
            int nd[64];
            const long *shp[64];
            const double *dat[64];
            for (int i = 0; i < n && i < 64; i++) {
                names[i] = arr[i].name;
                nd[i] = arr[i].ndim;
                shp[i] = arr[i].shape;
                dat[i] = arr[i].data;
                if (!strcmp(arr[i].name, "format"))
                    arr[i].data[0] = 2;
            }
            ok = n <= 64 && hy_npz_write(mp, n, names, nd, shp, dat, err, sizeof err) == 0;
            hy_arrays_free(n, arr);
        }
        tap_check(ok && load_fails(spec, -1, copy) == 1, "checkpoint/rejects_newer_format",
                  "a format-2 checkpoint loaded (or could not be made: %s)", ok ? "" : err);
        rm_rf(copy);
    }
    /* damaged files: one flipped byte in the middle, a truncation, a missing file */
    static const char *damage[] = {"flip", "truncate", "remove"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < NF; i++) {
            if (!strcmp(files[i], "manifest.json"))
                continue;
            char copy[560];
            snprintf(copy, sizeof copy, "%s/dmg", tmp);
            snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, dir, copy);
            if (system(cmd) != 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", copy, files[i]);
            long len;
            char *d = slurp(p, &len);
            if (!d)
                continue;
            FILE *f = fopen(p, "wb");
            if (k == 0) {
                d[len / 2] ^= 0x10;
                fwrite(d, 1, (size_t)len, f);
            } else if (k == 1) {
                fwrite(d, 1, (size_t)len / 2, f);
            }
            fclose(f);
            if (k == 2)
                unlink(p);
            free(d);
            char name[128];
            snprintf(name, sizeof name, "checkpoint/rejects_%s_%s", damage[k], files[i]);
            tap_check(load_fails(spec, -1, copy) == 1, name, "damaged checkpoint loaded");
            rm_rf(copy);
        }
    rm_rf(dir);
}

int main(void)
{
    char tmp[] = "/tmp/hy_ckpt_XXXXXX";
    if (!mkdtemp(tmp)) {
        tap_check(0, "checkpoint/tmpdir", "%s", strerror(errno));
        return 1;
    }
    test_roundtrip(tmp);
    test_atomic(tmp);
    test_reject(tmp);
    rm_rf(tmp);
    return tap_failed ? 1 : 0;
}
