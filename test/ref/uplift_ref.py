#!/usr/bin/env python3
"""Independent reference values (mpmath, 30 digits) for sql/uplift.sql:
Newcombe (1998) method 10 interval, pooled z-test, Welch t-test."""
import mpmath as m
m.mp.dps = 30
Z = m.sqrt(2) * m.erfinv(m.mpf('0.95'))


def wilson(x, n):
    x, n = m.mpf(x), m.mpf(n)
    c = (x + Z**2 / 2) / (n + Z**2)
    h = Z * m.sqrt(x * (n - x) / n + Z**2 / 4) / (n + Z**2)
    return c - h, c + h


def rates(nt, rt, nc, rc):
    pt, pc = m.mpf(rt) / nt, m.mpf(rc) / nc
    d = pt - pc
    lt, ut = wilson(rt, nt)
    lc, uc = wilson(rc, nc)
    lo = d - m.sqrt((pt - lt)**2 + (uc - pc)**2)
    hi = d + m.sqrt((ut - pt)**2 + (pc - lc)**2)
    p = m.mpf(rt + rc) / (nt + nc)
    z = d / m.sqrt(p * (1 - p) * (m.mpf(1) / nt + m.mpf(1) / nc))
    return dict(uplift=d, ci_low=lo, ci_high=hi, z=z, p_value=m.erfc(abs(z) / m.sqrt(2)))


def tcdf(t, df):
    x = df / (df + t * t)
    tail = m.betainc(df / 2, m.mpf(1) / 2, 0, x, regularized=True) / 2
    return 1 - tail if t > 0 else tail


def welch(a, b):
    a = [m.mpf(v) for v in a]; b = [m.mpf(v) for v in b]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((v - ma)**2 for v in a) / (len(a) - 1) / len(a)
    vb = sum((v - mb)**2 for v in b) / (len(b) - 1) / len(b)
    se = m.sqrt(va + vb)
    df = (va + vb)**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = (ma - mb) / se
    q = m.findroot(lambda u: tcdf(u, df) - m.mpf('0.975'), 2)
    return dict(diff=ma - mb, t=t, df=df, p=2 * (1 - tcdf(abs(t), df)),
                lo=ma - mb - q * se, hi=ma - mb + q * se)


if __name__ == '__main__':
    for k, v in rates(1000, 150, 1000, 100).items():
        print('rates', k, m.nstr(v, 15))
    for k, v in rates(40, 3, 12, 0).items():
        print('small', k, m.nstr(v, 15))
    for k, v in welch([12, 15, 9, 30, 22, 0, 18], [10, 8, 0, 14, 9]).items():
        print('welch', k, m.nstr(v, 15))
    for t, df in [(2, 10), (-3, 2.5), (1.5, 1), (0.7, 100000.5)]:
        print('tcdf', t, df, m.nstr(tcdf(m.mpf(t), m.mpf(df)), 15))
