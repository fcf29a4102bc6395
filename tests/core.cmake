asyncctx_add_test(frame_test detail/frame_test.cpp)
asyncctx_add_test(variable_test variable_test.cpp)
