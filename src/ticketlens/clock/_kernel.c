/* The SLA engine's per-event work: one pass over each ticket's events.
 *
 * Events come in ticket order (each ticket one contiguous, time-ordered run), as flat arrays
 * whose codes index the policy's vocabulary (-1: not in it). Each function walks every ticket's
 * run once and writes per-ticket results into arrays the caller allocated (clocks.py and
 * tickets.py hold the meaning of every input and output and document it; this file only
 * follows them). Vectorised numpy needed dozens of whole-array passes and as many fresh
 * temporaries for the same state machines; a single pass touches each event once.
 *
 * Arguments are objects exporting the buffer protocol (numpy arrays); every buffer's item size
 * and length is checked before the GIL is released, so a caller's mistake is a ValueError,
 * never a stray write.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_TIME INT64_MAX

/* activity bits of the clock table (clocks.py: CLOCK_BITS) */
#define C_START 1u
#define C_STOP 2u
#define C_PAUSE 4u
#define C_RESUME 8u
#define C_REOPEN 16u

/* activity bits of the lifecycle table (tickets.py: LIFE_BITS) */
#define L_CREATED (1u << 0)
#define L_RESPONSE (1u << 1)
#define L_RESOLVED (1u << 2)
#define L_CLOSED (1u << 3)
#define L_REOPENED (1u << 4)
#define L_ASSIGNED (1u << 5)
#define L_REASSIGNED (1u << 6)
#define L_ESCALATED (1u << 7)
#define L_DE_ESCALATED (1u << 8)
#define L_HOLD (1u << 9)
#define L_WAIT_SHIFT 10 /* wait w: enter bit 10 + 2w, leave bit 11 + 2w */
#define MAX_WAITS 11
#define MAX_CALENDARS 64

enum { RESUME_CLOCK = 0, NEW_CYCLE = 1, FULL = 2 };
enum { RETARGET = 0, INITIAL = 1, FINAL = 2 };

/* --- buffers ------------------------------------------------------------------------------ */

typedef struct {
    Py_buffer views[48];
    int used;
} Buffers;

static void release_all(Buffers *b) {
    for (int i = 0; i < b->used; i++) PyBuffer_Release(&b->views[i]);
    b->used = 0;
}

/* A C-contiguous buffer of `length` items of `itemsize` bytes (length < 0: any). */
static void *take(Buffers *b, PyObject *obj, Py_ssize_t itemsize, Py_ssize_t length,
                  int writable, const char *name) {
    if (b->used >= (int)(sizeof(b->views) / sizeof(b->views[0]))) {
        PyErr_SetString(PyExc_RuntimeError, "too many buffers");
        return NULL;
    }
    Py_buffer *view = &b->views[b->used];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return NULL;
    b->used++;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected, got %zd", name,
                     itemsize, view->itemsize);
        return NULL;
    }
    if (length >= 0 && view->len / itemsize < length) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items expected, got %zd", name, length,
                     view->len / itemsize);
        return NULL;
    }
    return view->buf;
}

static Py_ssize_t items(Buffers *b) {
    Py_buffer *view = &b->views[b->used - 1];
    return view->len / view->itemsize;
}

/* --- clocks ------------------------------------------------------------------------------- */

typedef struct {
    /* inputs */
    Py_ssize_t tickets, n, slots, thresholds, calendars;
    const int64_t *first, *count, *ts;
    const int32_t *act, *prio;
    Py_ssize_t activity_slots;
    const uint8_t *bits;
    const int64_t *target, *threshold; /* threshold: [thresholds][slots], row 0 the target */
    const int32_t *cal_of;
    const int64_t *cum[MAX_CALENDARS];
    int64_t offset[MAX_CALENDARS], now[MAX_CALENDARS];
    int64_t as_of;
    int on_reopen, on_priority_change;
    /* scratch: the state after each event of the ticket at hand */
    int8_t *state;
    /* outputs: per ticket, final column values (clocks.run_clock names them) */
    int8_t *status, *has_verdict, *open_at_end;
    int64_t *started_at, *stopped_at, *cycles, *left;
    double *wall_s, *business_s, *paused_s, *paused_business_s, *target_s, *elapsed_fraction,
        *time_left_s;
    int32_t *last_cal;
    /* outputs: per threshold and ticket */
    int64_t *cross_row, *cross_reach;
    int8_t *cross_immediate;
    int32_t *cross_cal;
} Clock;

static inline uint8_t clock_bits(const Clock *k, Py_ssize_t i) {
    int32_t a = k->act[i];
    return k->bits[a < 0 ? k->activity_slots - 1 : a];
}

static inline int64_t cum_at(const Clock *k, int c, Py_ssize_t i) {
    return k->cum[c][i] - k->offset[c];
}

/* The priority in force at each event: the last known at or before it, else the ticket's
 * first known (-1: none at all). */
static int32_t first_known(const int32_t *codes, Py_ssize_t f, Py_ssize_t l) {
    for (Py_ssize_t i = f; i <= l; i++)
        if (codes[i] >= 0) return codes[i];
    return -1;
}

static void clock_ticket(const Clock *k, Py_ssize_t t) {
    const Py_ssize_t f = (Py_ssize_t)k->first[t], l = f + (Py_ssize_t)k->count[t] - 1;
    int8_t *state_of = k->state - f; /* indexed by event, like every other array */
    const Py_ssize_t T = k->tickets;
    const int8_t RUNNING = 1, PAUSED = 2, STOPPED = 3;

    /* pass 1: the clock's state after each event */
    Py_ssize_t start_at = -1;
    for (Py_ssize_t i = f; i <= l; i++)
        if (clock_bits(k, i) & C_START) {
            start_at = i;
            break;
        }
    int started = 0, stopped_flag = 0, paused_flag = 0, stopped_before = 0;
    Py_ssize_t last_reopen = -1;
    int32_t reopens = 0;
    int64_t last_stop = -1;
    for (Py_ssize_t i = f; i <= l; i++) {
        uint8_t b = clock_bits(k, i);
        int first_start = i == start_at;
        if (first_start) started = 1;
        if (started) {
            if ((b & (C_STOP | C_REOPEN)) || first_start) stopped_flag = (b & C_STOP) != 0;
            if ((b & (C_PAUSE | C_RESUME | C_REOPEN)) || first_start)
                paused_flag = (b & C_PAUSE) != 0;
        }
        int stopped = started && stopped_flag;
        int paused = started && paused_flag && !stopped;
        int reopened = (b & C_REOPEN) && stopped_before;
        if (reopened) {
            last_reopen = i;
            reopens++;
        }
        if ((b & C_STOP) && started && !stopped_before) last_stop = k->ts[i];
        state_of[i] = (int8_t)(started + 2 * stopped + paused + (reopened ? 8 : 0));
        stopped_before = stopped;
    }

    /* the priority whose target governs each segment */
    int32_t fixed_prio = -1;
    int retarget = k->on_priority_change == RETARGET;
    int32_t known = first_known(k->prio, f, l);
    if (k->on_priority_change == FINAL) {
        for (Py_ssize_t i = l; i >= f; i--)
            if (k->prio[i] >= 0) {
                fixed_prio = k->prio[i];
                break;
            }
        if (fixed_prio < 0) fixed_prio = known;
    } else if (k->on_priority_change == INITIAL && start_at >= 0) {
        fixed_prio = known;
        for (Py_ssize_t i = f; i <= start_at; i++)
            if (k->prio[i] >= 0) fixed_prio = k->prio[i];
    }

    /* pass 2: elapsed time per segment, sums and threshold crossings */
    int64_t wall = 0, business_total = 0, wall_paused = 0, business_paused = 0, cycle = 0;
    int has_verdict = 0;
    int32_t in_force = known, seg_prio = -1, seg_cal = 0;
    int8_t state = 0;
    for (Py_ssize_t q = 0; q < k->thresholds; q++) k->cross_row[q * T + t] = -1;
    for (Py_ssize_t i = f; i <= l; i++) {
        int8_t raw = state_of[i];
        int reopened = (raw & 8) != 0;
        state = raw & 7;
        if (k->on_reopen == FULL && state == STOPPED && i < last_reopen) state = RUNNING;
        int running = state == RUNNING, pausing = state == PAUSED;
        int open = running || pausing;
        if (k->prio[i] >= 0) in_force = k->prio[i];
        seg_prio = retarget ? in_force : fixed_prio;
        Py_ssize_t slot = seg_prio < 0 ? k->slots - 1 : seg_prio;
        int64_t target = k->target[slot];
        seg_cal = k->cal_of[slot];
        int64_t business = 0;
        if (open)
            business = (i == l ? k->now[seg_cal] : cum_at(k, seg_cal, i + 1)) -
                       cum_at(k, seg_cal, i);
        int64_t run_business = running ? business : 0;
        if (k->on_reopen == NEW_CYCLE && (i == f || reopened)) cycle = 0;
        int64_t before = cycle, after = cycle + run_business;
        if (open && target >= 0) {
            for (Py_ssize_t q = 0; q < k->thresholds; q++) {
                if (k->cross_row[q * T + t] >= 0) continue;
                int64_t limit = k->threshold[q * k->slots + slot];
                int strict = q == 0;
                if (strict ? after > limit : after >= limit) {
                    k->cross_row[q * T + t] = i;
                    k->cross_immediate[q * T + t] = (int8_t)(strict ? before > limit
                                                                    : before >= limit);
                    k->cross_reach[q * T + t] = cum_at(k, seg_cal, i) + (limit - before);
                    k->cross_cal[q * T + t] = seg_cal;
                }
            }
        }
        if (target >= 0 && state != 0) has_verdict = 1;
        cycle = after;
        int64_t step = i < l ? k->ts[i + 1] - k->ts[i] : 0;
        if (i == l && open) step = k->as_of - k->ts[i];
        if (running) wall += step;
        if (pausing) {
            wall_paused += step;
            business_paused += business;
        }
        business_total += run_business;
    }
    int is_open = state == RUNNING || state == PAUSED;
    int64_t last_target = k->target[seg_prio < 0 ? k->slots - 1 : seg_prio];
    int64_t left = last_target >= 0 ? last_target - cycle : 0;
    k->status[t] = state;
    k->has_verdict[t] = (int8_t)has_verdict;
    k->open_at_end[t] = (int8_t)is_open;
    k->started_at[t] = start_at >= 0 ? k->ts[start_at] : NO_TIME;
    k->stopped_at[t] = state == STOPPED ? last_stop : NO_TIME;
    k->cycles[t] = start_at < 0 ? 0 : k->on_reopen == NEW_CYCLE ? 1 + (int64_t)reopens : 1;
    /* time still left on a running clock: where its due instant is to be projected */
    k->left[t] = state == RUNNING && last_target >= 0 && left > 0 ? left : -1;
    /* seconds as numpy computes them: int64 microseconds to double, then / 1e6 */
    k->wall_s[t] = (double)wall / 1e6;
    k->business_s[t] = (double)business_total / 1e6;
    k->paused_s[t] = (double)wall_paused / 1e6;
    k->paused_business_s[t] = (double)business_paused / 1e6;
    k->target_s[t] = last_target >= 0 ? (double)last_target / 1e6 : NAN;
    k->elapsed_fraction[t] =
        last_target > 0 ? (double)cycle / (double)(last_target > 1 ? last_target : 1) : NAN;
    k->time_left_s[t] = is_open && last_target >= 0 ? (double)left / 1e6 : NAN;
    k->last_cal[t] = seg_cal;
}

static int check_runs(const int64_t *first, const int64_t *count, Py_ssize_t T, Py_ssize_t n) {
    for (Py_ssize_t t = 0; t < T; t++)
        if (first[t] < 0 || count[t] < 1 || first[t] + count[t] > n) {
            PyErr_SetString(PyExc_ValueError, "first/count: a ticket's run leaves the events");
            return 0;
        }
    return 1;
}

static Py_ssize_t longest_run(const int64_t *count, Py_ssize_t T) {
    Py_ssize_t longest = 1;
    for (Py_ssize_t t = 0; t < T; t++)
        if (count[t] > longest) longest = (Py_ssize_t)count[t];
    return longest;
}

static PyObject *clock_py(PyObject *self, PyObject *args) {
    PyObject *first, *count, *ts, *act, *prio, *bits, *target, *cal_of, *cums, *offsets, *now,
        *thresholds, *out8, *out64, *outf, *out32, *cross64, *cross8, *cross32;
    long long as_of;
    int on_reopen, on_priority_change;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOLiiOOOOOOO", &first, &count, &ts, &act, &prio,
                          &bits, &target, &cal_of, &cums, &offsets, &now, &thresholds, &as_of,
                          &on_reopen, &on_priority_change, &out8, &out64, &outf, &out32,
                          &cross64, &cross8, &cross32))
        return NULL;
    Clock k;
    memset(&k, 0, sizeof(k));
    Buffers b = {.used = 0};
    if (!(k.first = take(&b, first, 8, -1, 0, "first"))) goto fail;
    k.tickets = items(&b);
    if (!(k.count = take(&b, count, 8, k.tickets, 0, "count"))) goto fail;
    if (!(k.ts = take(&b, ts, 8, -1, 0, "ts"))) goto fail;
    k.n = items(&b);
    if (!(k.act = take(&b, act, 4, k.n, 0, "act"))) goto fail;
    if (!(k.prio = take(&b, prio, 4, k.n, 0, "prio"))) goto fail;
    if (!(k.bits = take(&b, bits, 1, -1, 0, "bits"))) goto fail;
    k.activity_slots = items(&b);
    if (!(k.target = take(&b, target, 8, -1, 0, "target"))) goto fail;
    k.slots = items(&b);
    if (!(k.cal_of = take(&b, cal_of, 4, k.slots, 0, "cal_of"))) goto fail;
    if (!PyTuple_Check(cums) || PyTuple_GET_SIZE(cums) > MAX_CALENDARS ||
        PyTuple_GET_SIZE(cums) < 1) {
        PyErr_SetString(PyExc_ValueError, "cums: a tuple of 1 to 64 arrays expected");
        goto fail;
    }
    k.calendars = PyTuple_GET_SIZE(cums);
    for (Py_ssize_t c = 0; c < k.calendars; c++)
        if (!(k.cum[c] = take(&b, PyTuple_GET_ITEM(cums, c), 8, k.n, 0, "cums"))) goto fail;
    const int64_t *off, *nw;
    if (!(off = take(&b, offsets, 8, k.calendars, 0, "offsets"))) goto fail;
    if (!(nw = take(&b, now, 8, k.calendars, 0, "now"))) goto fail;
    for (Py_ssize_t c = 0; c < k.calendars; c++) {
        k.offset[c] = off[c];
        k.now[c] = nw[c] - off[c];
    }
    for (Py_ssize_t s = 0; s < k.slots; s++)
        if (k.cal_of[s] < 0 || k.cal_of[s] >= k.calendars) {
            PyErr_SetString(PyExc_ValueError, "cal_of: calendar index out of range");
            goto fail;
        }
    if (!(k.threshold = take(&b, thresholds, 8, -1, 0, "thresholds"))) goto fail;
    k.thresholds = items(&b) / k.slots;
    k.as_of = as_of;
    k.on_reopen = on_reopen;
    k.on_priority_change = on_priority_change;
    Py_ssize_t T = k.tickets;
    int8_t *o8;
    int64_t *o64;
    double *of;
    if (!(o8 = take(&b, out8, 1, 3 * T, 1, "out8"))) goto fail;
    if (!(o64 = take(&b, out64, 8, 4 * T, 1, "out64"))) goto fail;
    if (!(of = take(&b, outf, 8, 7 * T, 1, "outf"))) goto fail;
    if (!(k.last_cal = take(&b, out32, 4, T, 1, "out32"))) goto fail;
    k.status = o8, k.has_verdict = o8 + T, k.open_at_end = o8 + 2 * T;
    k.started_at = o64, k.stopped_at = o64 + T, k.cycles = o64 + 2 * T, k.left = o64 + 3 * T;
    k.wall_s = of, k.business_s = of + T, k.paused_s = of + 2 * T,
    k.paused_business_s = of + 3 * T, k.target_s = of + 4 * T, k.elapsed_fraction = of + 5 * T,
    k.time_left_s = of + 6 * T;
    Py_ssize_t Q = k.thresholds;
    int64_t *c64;
    if (!(c64 = take(&b, cross64, 8, 2 * Q * T, 1, "cross64"))) goto fail;
    k.cross_row = c64, k.cross_reach = c64 + Q * T;
    if (!(k.cross_immediate = take(&b, cross8, 1, Q * T, 1, "cross8"))) goto fail;
    if (!(k.cross_cal = take(&b, cross32, 4, Q * T, 1, "cross32"))) goto fail;
    if (!check_runs(k.first, k.count, T, k.n)) goto fail;
    if (!(k.state = malloc((size_t)longest_run(k.count, T)))) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < T; t++) clock_ticket(&k, t);
    Py_END_ALLOW_THREADS
    free(k.state);
    release_all(&b);
    Py_RETURN_NONE;
fail:
    release_all(&b);
    return NULL;
}

/* --- lifecycle ---------------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t tickets, n, activity_slots, waits, tiers, people;
    const int64_t *first, *count, *ts;
    const int32_t *act, *priority, *category, *department, *holder;
    const uint32_t *bits;
    const int8_t *kind, *tier;
    const uint8_t *has_leave;
    int64_t as_of;
    int64_t *o64; /* [13][T] */
    int32_t *o32; /* [6][T] */
    int8_t *last_kind;
    int64_t *wait_us;     /* [waits][T] */
    int64_t *escalations; /* [tiers][T] */
    int64_t *votes;       /* [people][tiers] */
    uint8_t *assigned;    /* [people] */
} Life;

static inline Py_ssize_t life_slot(const Life *k, Py_ssize_t i) {
    int32_t a = k->act[i];
    return a < 0 ? k->activity_slots - 1 : a;
}

static void life_ticket(const Life *k, Py_ssize_t t) {
    const Py_ssize_t f = (Py_ssize_t)k->first[t], l = f + (Py_ssize_t)k->count[t] - 1;
    const Py_ssize_t T = k->tickets;
    int64_t created = NO_TIME, response = NO_TIME, resolved = -1, first_resolved = NO_TIME,
            closed = -1;
    int64_t assignments = 0, reassignments = 0, escalations = 0, de_escalations = 0, holds = 0,
            reopens = 0, priority_changes = 0;
    int32_t priority = -1, initial_priority = -1, category = -1, department = -1,
            first_assignee = -1, final_assignee = -1;
    int8_t last_kind = 0;
    int done = 0;
    int32_t carried = -1;
    int waiting[MAX_WAITS] = {0};
    int64_t wait_us[MAX_WAITS] = {0};
    for (Py_ssize_t i = f; i <= l; i++) {
        Py_ssize_t slot = life_slot(k, i);
        uint32_t b = k->bits[slot];
        int64_t ts = k->ts[i];
        if ((b & L_CREATED) && created == NO_TIME) created = ts;
        if ((b & L_RESPONSE) && response == NO_TIME) response = ts;
        if (b & L_RESOLVED) {
            resolved = ts;
            if (first_resolved == NO_TIME) first_resolved = ts;
        }
        if (b & L_CLOSED) closed = ts;
        assignments += (b & L_ASSIGNED) != 0;
        reassignments += (b & L_REASSIGNED) != 0;
        escalations += (b & L_ESCALATED) != 0;
        de_escalations += (b & L_DE_ESCALATED) != 0;
        holds += (b & L_HOLD) != 0;
        /* a reopen counts only when it finds the ticket resolved or closed */
        if ((b & L_REOPENED) && done) reopens++;
        if (k->kind[slot] > 0) {
            last_kind = k->kind[slot];
            done = (b & (L_RESOLVED | L_CLOSED)) != 0;
        }
        int32_t p = k->priority[i];
        if (p >= 0) {
            if (carried >= 0 && carried != p) priority_changes++;
            carried = p;
            priority = p;
            if (initial_priority < 0) initial_priority = p;
        }
        if (k->category[i] >= 0) category = k->category[i];
        if (k->department[i] >= 0) department = k->department[i];
        int32_t h = k->holder[i];
        if (h >= 0) {
            final_assignee = h;
            if (first_assignee < 0) first_assignee = h;
        }
        int8_t tier = k->tier[slot];
        if (tier >= 0) {
            k->escalations[tier * T + t]++;
            if (h >= 0) k->votes[h * k->tiers + tier]++;
        }
        if ((b & L_ASSIGNED) && h >= 0) k->assigned[h] = 1;
        int64_t step = i < l ? k->ts[i + 1] - ts : k->as_of - ts;
        for (Py_ssize_t w = 0; w < k->waits; w++) {
            uint32_t enter = b & (1u << (L_WAIT_SHIFT + 2 * w));
            uint32_t leave = b & (1u << (L_WAIT_SHIFT + 2 * w + 1));
            if (!k->has_leave[w]) waiting[w] = enter != 0; /* any other activity leaves */
            else if (enter || leave) waiting[w] = enter != 0;
            if (waiting[w]) wait_us[w] += step;
        }
    }
    int64_t *o = k->o64;
    o[t] = created, o[T + t] = response, o[2 * T + t] = resolved, o[3 * T + t] = first_resolved,
    o[4 * T + t] = closed, o[5 * T + t] = k->ts[l], o[6 * T + t] = assignments,
    o[7 * T + t] = reassignments, o[8 * T + t] = escalations, o[9 * T + t] = de_escalations,
    o[10 * T + t] = holds, o[11 * T + t] = reopens, o[12 * T + t] = priority_changes;
    int32_t *c = k->o32;
    c[t] = priority, c[T + t] = initial_priority, c[2 * T + t] = category,
    c[3 * T + t] = department, c[4 * T + t] = first_assignee, c[5 * T + t] = final_assignee;
    k->last_kind[t] = last_kind;
    for (Py_ssize_t w = 0; w < k->waits; w++) k->wait_us[w * T + t] = wait_us[w];
}

static PyObject *lifecycle_py(PyObject *self, PyObject *args) {
    PyObject *first, *count, *ts, *act, *priority, *category, *department, *holder, *bits,
        *kind, *tier, *has_leave, *o64, *o32, *last_kind, *wait_us, *escalations, *votes,
        *assigned;
    long long as_of;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOLOOOOOOO", &first, &count, &ts, &act, &priority,
                          &category, &department, &holder, &bits, &kind, &tier, &has_leave,
                          &as_of, &o64, &o32, &last_kind, &wait_us, &escalations, &votes,
                          &assigned))
        return NULL;
    Life k;
    memset(&k, 0, sizeof(k));
    Buffers b = {.used = 0};
    if (!(k.first = take(&b, first, 8, -1, 0, "first"))) goto fail;
    k.tickets = items(&b);
    Py_ssize_t T = k.tickets;
    if (!(k.count = take(&b, count, 8, T, 0, "count"))) goto fail;
    if (!(k.ts = take(&b, ts, 8, -1, 0, "ts"))) goto fail;
    k.n = items(&b);
    if (!(k.act = take(&b, act, 4, k.n, 0, "act"))) goto fail;
    if (!(k.priority = take(&b, priority, 4, k.n, 0, "priority"))) goto fail;
    if (!(k.category = take(&b, category, 4, k.n, 0, "category"))) goto fail;
    if (!(k.department = take(&b, department, 4, k.n, 0, "department"))) goto fail;
    if (!(k.holder = take(&b, holder, 4, k.n, 0, "holder"))) goto fail;
    if (!(k.bits = take(&b, bits, 4, -1, 0, "bits"))) goto fail;
    k.activity_slots = items(&b);
    if (!(k.kind = take(&b, kind, 1, k.activity_slots, 0, "kind"))) goto fail;
    if (!(k.tier = take(&b, tier, 1, k.activity_slots, 0, "tier"))) goto fail;
    if (!(k.has_leave = take(&b, has_leave, 1, -1, 0, "has_leave"))) goto fail;
    k.waits = items(&b);
    if (k.waits > MAX_WAITS) {
        PyErr_SetString(PyExc_ValueError, "at most 11 waits");
        goto fail;
    }
    k.as_of = as_of;
    if (!(k.o64 = take(&b, o64, 8, 13 * T, 1, "o64"))) goto fail;
    if (!(k.o32 = take(&b, o32, 4, 6 * T, 1, "o32"))) goto fail;
    if (!(k.last_kind = take(&b, last_kind, 1, T, 1, "last_kind"))) goto fail;
    if (!(k.wait_us = take(&b, wait_us, 8, k.waits * T, 1, "wait_us"))) goto fail;
    if (!(k.escalations = take(&b, escalations, 8, -1, 1, "escalations"))) goto fail;
    k.tiers = T ? items(&b) / T : 0;
    if (!(k.assigned = take(&b, assigned, 1, -1, 1, "assigned"))) goto fail;
    k.people = items(&b);
    if (!(k.votes = take(&b, votes, 8, k.people * k.tiers, 1, "votes"))) goto fail;
    for (Py_ssize_t s = 0; s < k.activity_slots; s++)
        if (k.tier[s] >= k.tiers && k.tier[s] >= 0 && T) {
            PyErr_SetString(PyExc_ValueError, "tier: index out of range");
            goto fail;
        }
    for (Py_ssize_t i = 0; i < k.n; i++)
        if (k.holder[i] >= k.people) {
            PyErr_SetString(PyExc_ValueError, "holder: person code out of range");
            goto fail;
        }
    if (!check_runs(k.first, k.count, T, k.n)) goto fail;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < T; t++) life_ticket(&k, t);
    Py_END_ALLOW_THREADS
    release_all(&b);
    Py_RETURN_NONE;
fail:
    release_all(&b);
    return NULL;
}

/* --- who held each ticket ----------------------------------------------------------------- */

static int compare_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static Py_ssize_t find(const int32_t *sorted, Py_ssize_t n, int32_t value) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (sorted[mid] < value) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static PyObject *technicians_py(PyObject *self, PyObject *args) {
    PyObject *first, *count, *act, *holder, *bits, *pairs32, *pair_counts, *per_ticket;
    if (!PyArg_ParseTuple(args, "OOOOOOOO", &first, &count, &act, &holder, &bits, &pairs32,
                          &pair_counts, &per_ticket))
        return NULL;
    Buffers b = {.used = 0};
    const int64_t *fst, *cnt;
    const int32_t *ac, *ho;
    const uint32_t *bt;
    int32_t *pairs;
    int64_t *pc, *pt;
    Py_ssize_t T, n, slots, capacity;
    if (!(fst = take(&b, first, 8, -1, 0, "first"))) goto fail;
    T = items(&b);
    if (!(cnt = take(&b, count, 8, T, 0, "count"))) goto fail;
    if (!(ac = take(&b, act, 4, -1, 0, "act"))) goto fail;
    n = items(&b);
    if (!(ho = take(&b, holder, 4, n, 0, "holder"))) goto fail;
    if (!(bt = take(&b, bits, 4, -1, 0, "bits"))) goto fail;
    slots = items(&b);
    if (!(pairs = take(&b, pairs32, 4, -1, 1, "pairs"))) goto fail;
    capacity = items(&b) / 2;
    if (!(pc = take(&b, pair_counts, 8, 3 * capacity, 1, "pair_counts"))) goto fail;
    if (!(pt = take(&b, per_ticket, 8, 3 * T, 1, "per_ticket"))) goto fail;
    if (!check_runs(fst, cnt, T, n)) goto fail;
    Py_ssize_t longest = longest_run(cnt, T), named = 0;
    for (Py_ssize_t i = 0; i < n; i++) named += ho[i] >= 0;
    if (named > capacity) {
        PyErr_SetString(PyExc_ValueError, "pairs: capacity below the named events");
        goto fail;
    }
    int32_t *people = malloc(sizeof(int32_t) * (size_t)longest);
    if (!people) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t emitted = 0;
    Py_BEGIN_ALLOW_THREADS
    int32_t *pair_tix = pairs, *pair_person = pairs + capacity;
    int64_t *resolutions = pc, *reopened = pc + capacity, *raised = pc + 2 * capacity;
    for (Py_ssize_t t = 0; t < T; t++) {
        const Py_ssize_t f = (Py_ssize_t)fst[t], l = f + (Py_ssize_t)cnt[t] - 1;
        /* the ticket's distinct people, sorted */
        Py_ssize_t m = 0;
        Py_ssize_t last_reopen = -1;
        for (Py_ssize_t i = f; i <= l; i++) {
            if (ho[i] >= 0 && (m == 0 || people[m - 1] != ho[i])) people[m++] = ho[i];
            int32_t a = ac[i];
            if (bt[a < 0 ? slots - 1 : a] & L_REOPENED) last_reopen = i;
        }
        if (m > 1) qsort(people, (size_t)m, sizeof(int32_t), compare_int32);
        Py_ssize_t unique = 0;
        for (Py_ssize_t j = 0; j < m; j++)
            if (unique == 0 || people[unique - 1] != people[j]) people[unique++] = people[j];
        Py_ssize_t base = emitted;
        for (Py_ssize_t j = 0; j < unique; j++) {
            pair_tix[base + j] = (int32_t)t;
            pair_person[base + j] = people[j];
            resolutions[base + j] = reopened[base + j] = raised[base + j] = 0;
        }
        emitted += unique;
        int32_t held = -1, resolver = -1;
        int64_t handoffs = 0;
        for (Py_ssize_t i = f; i <= l; i++) {
            int32_t before = held;
            if (ho[i] >= 0) held = ho[i];
            int32_t a = ac[i];
            uint32_t bits_i = bt[a < 0 ? slots - 1 : a];
            if (held >= 0 && before >= 0 && held != before) handoffs++;
            if (bits_i & L_RESOLVED) {
                resolver = held;
                if (held >= 0) {
                    Py_ssize_t j = base + find(people, unique, held);
                    resolutions[j]++;
                    if (i < last_reopen) reopened[j]++;
                }
            }
            if ((bits_i & L_ESCALATED) && before >= 0) raised[base + find(people, unique, before)]++;
        }
        pt[t] = unique, pt[T + t] = resolver, pt[2 * T + t] = handoffs;
    }
    Py_END_ALLOW_THREADS
    free(people);
    release_all(&b);
    return PyLong_FromSsize_t(emitted);
fail:
    release_all(&b);
    return NULL;
}

static PyMethodDef methods[] = {
    {"clock", clock_py, METH_VARARGS, "One SLA clock over every ticket (see clocks.run_clock)."},
    {"lifecycle", lifecycle_py, METH_VARARGS,
     "Lifecycle instants, counts, last known values and waits (see tickets.lifecycle)."},
    {"technicians", technicians_py, METH_VARARGS,
     "Who held each ticket and what they did on it (see tickets.ticket_technicians)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernel",
    "The SLA engine's per-event passes, one walk over each ticket's events.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
