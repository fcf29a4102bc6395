# asyncctx::asio: propagation through the handler-tracking hook, async hooks of Asio operations,
# and the explicit forms (bind_context, context_executor) built WITHOUT the hook definition —
# a separate program, because the definition must be the same in every translation unit of a
# program (it changes the layout of Asio's operations).
asyncctx_add_test(asio_propagation_test asio_propagation_test.cpp LABELS concurrency LIBS asyncctx::asio)
asyncctx_add_test(asio_hooks_test asio_hooks_test.cpp LABELS concurrency LIBS asyncctx::asio)
asyncctx_add_test(asio_explicit_test asio_explicit_test.cpp LABELS concurrency LIBS Boost::headers)
if(EXISTS ${PROJECT_SOURCE_DIR}/include/asyncctx/task.hpp)
  asyncctx_add_test(asio_use_task_test asio_use_task_test.cpp LABELS concurrency LIBS asyncctx::asio)
endif()
# The thread's spare context reference kept by handler tracking (frame.hpp, t_thread_spare).
asyncctx_add_test(asio_spare_test asio_spare_test.cpp LABELS concurrency LIBS asyncctx::asio)
