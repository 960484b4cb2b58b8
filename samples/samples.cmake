# Samples: small programs that show one thing each and double as smoke tests.
add_executable(clsvm-window-demo window_demo.c)
target_link_libraries(clsvm-window-demo PRIVATE clsvm-runtime-static)
install(TARGETS clsvm-window-demo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
