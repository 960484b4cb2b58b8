/*
 * builtins_generic.cl: OpenCL C 2.0 built-ins whose pointer arguments are generic (fract, modf,
 * sincos, frexp, lgamma_r, remquo, vloadn, vstoren, vload_half & co.), called with pointers to private variables
 * and through helpers taking unqualified pointers, and a program-scope global variable updated
 * with a generic atomic (tests/oclc20/test_oclc20_builtins.c). Build with -cl-std=CL2.0.
 */
global int launches = 5; /* program-scope, persists between launches */

static float fract_of(float x, float *whole)
{
    return fract(x, whole);
}

/* half storage through a generic pointer: store then load back */
static float half_round_trip(float x, half *scratch)
{
    vstore_half_rtz(x, 1, scratch);
    vstorea_half2((float2)(x, -x), 1, scratch);
    return 2.0f * vload_half(1, scratch) + vloada_half2(1, scratch).y;
}

static float4 load4(const float *p, size_t i)
{
    return vload4(i, p);
}

kernel void math(global const float *in, global float *out, global int *iout)
{
    float whole;
    out[0] = fract_of(in[0], &whole);
    out[1] = whole;
    float c;
    out[2] = sincos(in[1], &c);
    out[3] = c;
    int e;
    out[4] = frexp(in[2], &e);
    iout[0] = e;
    float ip;
    out[5] = modf(in[3], &ip);
    out[6] = ip;
    int q;
    out[7] = remquo(in[4], 2.0f, &q);
    iout[1] = q & 7;
    int sign;
    out[8] = lgamma_r(in[5], &sign);
    iout[2] = sign;
    double dwhole;
    out[9] = (float)fract((double)in[0], &dwhole);
    out[10] = (float)dwhole;
    float4 v = load4(in, 2); /* in[8..11] */
    vstore4(v * 2.0f, 3, out); /* out[12..15] */
    ushort scratch[4]; /* half is a storage format: no half variables */
    out[11] = half_round_trip(in[0], (half *)scratch); /* vloada_half2 re-reads what vstorea wrote */
    int2 pair = vload2(0, (const int *)&iout[8]);
    vstore2(pair + 1, 5, iout); /* iout[10..11] */
}

kernel void count_launches(global int *out)
{
    out[0] = atomic_fetch_add((atomic_int *)&launches, 1);
}
