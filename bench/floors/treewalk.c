/*
 * The floor for scoring a decision's models: the same packed trees and the same walk as
 * src/models/gbdt/predict.ts (threshold ranks by binary search, then eight trees walked side
 * by side on integer compares), in C at -O2. bench/decide.bench.ts writes one model and the
 * rows to a file, compiles this with the machine's cc and runs it: it copies the model into
 * M separate buffers (as the engine holds one model per family) and scores every row with
 * every copy, R times over, then prints the nanoseconds per row (all M models) and the sum of
 * the margins, which the bench checks against its own scorer.
 *
 *   cc -O2 -o treewalk treewalk.c && ./treewalk FILE M R
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  int32_t *roots, *depth, *packed, *splitStart, *rowRank;
  double *value, *splitValues;
  double baseMargin;
} Model;

static int32_t nTrees, nNodes, nFeatures, nSplits, nRows;

static void *readN(FILE *f, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "short read\n"); exit(2); }
  return p;
}

static void *copy(const void *src, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  memcpy(p, src, bytes);
  return p;
}

#define RANK_MASK ((1 << 21) - 1)

static inline int32_t step(const int32_t *packed, const int32_t *rowRank, int32_t n) {
  uint32_t w = (uint32_t)packed[2 * n + 1];
  int32_t r = rowRank[w & 1023];
  return packed[2 * n] + (r < 0 ? (int32_t)(w >> 31) : (int32_t)(((uint32_t)(((w >> 10) & RANK_MASK) - r)) >> 31));
}

static double margin(const Model *m, const double *x) {
  for (int f = 0; f < nFeatures; f++) {
    double v = x[f];
    if (v != v) { m->rowRank[f] = -1; continue; }
    int32_t lo = m->splitStart[f], hi = m->splitStart[f + 1], start = lo;
    while (lo < hi) {
      int32_t mid = (int32_t)(((uint32_t)lo + (uint32_t)hi) >> 1);
      if (m->splitValues[mid] <= v) lo = mid + 1; else hi = mid;
    }
    m->rowRank[f] = lo - start;
  }
  double sum = 0;
  int32_t t = 0;
  for (; t + 8 <= nTrees; t += 8) {
    int32_t n[8], d = 0;
    for (int k = 0; k < 8; k++) { n[k] = m->roots[t + k]; if (m->depth[t + k] > d) d = m->depth[t + k]; }
    for (int s = 0; s < d; s++)
      for (int k = 0; k < 8; k++) n[k] = step(m->packed, m->rowRank, n[k]);
    sum += m->value[n[0]] + m->value[n[1]] + m->value[n[2]] + m->value[n[3]];
    sum += m->value[n[4]] + m->value[n[5]] + m->value[n[6]] + m->value[n[7]];
  }
  for (; t < nTrees; t++) {
    int32_t n = m->roots[t];
    for (int s = 0; s < m->depth[t]; s++) n = step(m->packed, m->rowRank, n);
    sum += m->value[n];
  }
  return m->baseMargin + sum;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: treewalk FILE MODELS REPEATS\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  int M = atoi(argv[2]), R = atoi(argv[3]);
  int32_t *h = readN(f, 5 * 4);
  nTrees = h[0]; nNodes = h[1]; nFeatures = h[2]; nSplits = h[3]; nRows = h[4];
  double *base = readN(f, 8);
  int32_t *roots = readN(f, 4 * (size_t)nTrees), *depth = readN(f, 4 * (size_t)nTrees);
  int32_t *packed = readN(f, 8 * (size_t)nNodes);
  double *value = readN(f, 8 * (size_t)nNodes), *splitValues = readN(f, 8 * (size_t)nSplits);
  int32_t *splitStart = readN(f, 4 * (size_t)(nFeatures + 1));
  double *rows = readN(f, 8 * (size_t)nRows * nFeatures);
  fclose(f);
  Model *models = malloc(sizeof(Model) * M);
  for (int i = 0; i < M; i++) {
    models[i].roots = copy(roots, 4 * (size_t)nTrees);
    models[i].depth = copy(depth, 4 * (size_t)nTrees);
    models[i].packed = copy(packed, 8 * (size_t)nNodes);
    models[i].value = copy(value, 8 * (size_t)nNodes);
    models[i].splitValues = copy(splitValues, 8 * (size_t)nSplits);
    models[i].splitStart = copy(splitStart, 4 * (size_t)(nFeatures + 1));
    models[i].rowRank = calloc(nFeatures, 4);
    models[i].baseMargin = *base;
  }
  double check = 0;
  for (int r = 0; r < nRows; r++) check += margin(&models[0], rows + (size_t)r * nFeatures);
  struct timespec a, b;
  volatile double sink = 0;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (int rep = 0; rep < R; rep++)
    for (int r = 0; r < nRows; r++) {
      const double *x = rows + (size_t)r * nFeatures;
      double s = 0;
      for (int i = 0; i < M; i++) s += margin(&models[i], x);
      sink += s;
    }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / ((double)R * nRows);
  printf("%.3f %.17g\n", ns, check);
  return 0;
}
