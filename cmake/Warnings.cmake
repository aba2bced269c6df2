# Strict warnings on our own targets only (STYLE.md §8); -Werror only when asked.
function(tracker_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wpointer-arith -Wcast-qual -Wformat=2 -Wundef
    -Wmissing-format-attribute -Wtype-limits -Wvla -fno-common)
  if(TRACKER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
