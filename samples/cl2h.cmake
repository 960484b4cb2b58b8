# cl2h.cmake: write one OpenCL C source as a C string in a header, so that the sample binaries
# carry their kernels and run from any directory once installed.
#   cmake -DIN=kernels/x.cl -DOUT=x_cl.h -DNAME=x_cl -P cl2h.cmake
# Bytes rather than a quoted string: nothing in the source needs escaping.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes per line keeps the generated header readable in a debugger or an editor.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by samples/cl2h.cmake. Do not edit. */\n"
     "static const char ${NAME}[] = {\n    ${bytes}0x00};\n")
