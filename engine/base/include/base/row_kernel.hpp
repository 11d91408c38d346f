// FW_ROW_KERNEL marks a loop over a whole row (or column) of pixels that the compiler
// vectorises: it gets an AVX2 clone, chosen at load time where the CPU has it, and a default
// clone that keeps the binary portable. Integer loops give the same results in both; float
// loops do where their file is built without contraction into FMA (raster/resample.cpp).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define FW_ROW_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define FW_ROW_KERNEL
#endif
