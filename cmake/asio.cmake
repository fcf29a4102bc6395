# asyncctx::asio — Boost.Asio / Beast integration. Linking it is all a user does: the target
# carries the handler-tracking definition, so every Asio handler in the program carries
# context. (The definition must be the same in every translation unit that includes Asio.)
add_library(asyncctx_asio INTERFACE)
add_library(asyncctx::asio ALIAS asyncctx_asio)
target_link_libraries(asyncctx_asio INTERFACE asyncctx::asyncctx Boost::headers)
# A quoted header name, found through the include path asyncctx::asyncctx provides (the source
# tree here, <prefix>/include once installed). CMake escapes the quotes for the compiler command
# line and for the exported targets file alike.
target_compile_definitions(asyncctx_asio
  INTERFACE "BOOST_ASIO_CUSTOM_HANDLER_TRACKING=\"asyncctx/asio/handler_tracking.hpp\"")
set_target_properties(asyncctx_asio PROPERTIES EXPORT_NAME asio)
list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_asio)
