// Whether coroutines hand control over by symmetric transfer (await_suspend returning the
// next coroutine_handle, a guaranteed tail call) or by the older "resume, then check who
// finished first" protocol.
//
// Symmetric transfer is what makes a loop of synchronous co_awaits run in constant stack,
// but only when the compiler really emits the transfer as a tail call; otherwise each
// transfer takes a stack frame and a long synchronous loop overflows the stack. With
// ASYNCCTX_SYMMETRIC_TRANSFER=0 a child that completes synchronously is detected by an
// atomic flag and the parent continues without suspending, which needs no tail call; only
// nesting depth (a task awaiting a task awaiting ...) then costs stack, as with any call.
//
// What the compilers do (measured on x86-64 with tests/task_test.cpp,
// Task.MillionSynchronousAwaitsUseConstantStack: 1,000,000 synchronous co_awaits):
//   * Clang 14 keeps the tail call at every level tried: -O0, -O1 and -O2, also with
//     -fsanitize=address,undefined (without -fsanitize=function, which cannot compile
//     coroutines in clang 14) and with -fsanitize=thread. Symmetric transfer, always.
//   * GCC 12 emits it only as a sibling call, i.e. with -O2 or higher (-foptimize-sibling-
//     calls), and not when ASan or TSan instrument the resume function (-O2 included).
//     -O0, -Og and -O1 overflow the stack; -O2 -fsanitize=undefined keeps the tail call.
//     Fallback when !__OPTIMIZE__ or with ASan/TSan. -Og and -O1 define __OPTIMIZE__ like
//     -O2 and cannot be told apart here: define ASYNCCTX_SYMMETRIC_TRANSFER=0 for them.
// Define it yourself (0 or 1) to override, e.g. with the CMake option of the same name,
// which puts it on the asyncctx target so that every translation unit agrees. It must be
// the same in every translation unit of a program that shares tasks: the two protocols
// lay out task promises differently.
#pragma once

#if !defined(ASYNCCTX_SYMMETRIC_TRANSFER)
#if defined(__clang__)
#define ASYNCCTX_SYMMETRIC_TRANSFER 1
#elif defined(__GNUC__)
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCCTX_SYMMETRIC_TRANSFER 0
#endif
#endif
#endif
#if !defined(ASYNCCTX_SYMMETRIC_TRANSFER)
#define ASYNCCTX_SYMMETRIC_TRANSFER 1
#endif
