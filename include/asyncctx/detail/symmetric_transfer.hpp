// Whether coroutines hand control over by symmetric transfer (await_suspend returning the
// next coroutine_handle, a guaranteed tail call) or by the older "resume, then check who
// finished first" protocol.
//
// Symmetric transfer is what makes a loop of synchronous co_awaits run in constant stack.
// GCC emits it as a tail call, which it cannot do when a sanitizer instruments the
// coroutine's resume function (ASan, TSan and UBSan all add code after the call): each
// transfer then takes a stack frame and a long synchronous loop overflows the stack. With
// ASYNCCTX_SYMMETRIC_TRANSFER=0 a child that completes synchronously is detected by an
// atomic flag and the parent continues without suspending, which needs no tail call; only
// nesting depth (a task awaiting a task awaiting ...) then costs stack, as with any call.
// The CMake build sets 0 whenever ASYNCCTX_SANITIZE is used; GCC's ASan/TSan are also
// detected here. Define it yourself (0 or 1) to override.
#pragma once

#if !defined(ASYNCCTX_SYMMETRIC_TRANSFER)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCCTX_SYMMETRIC_TRANSFER 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASYNCCTX_SYMMETRIC_TRANSFER 0
#endif
#endif
#endif
#if !defined(ASYNCCTX_SYMMETRIC_TRANSFER)
#define ASYNCCTX_SYMMETRIC_TRANSFER 1
#endif
