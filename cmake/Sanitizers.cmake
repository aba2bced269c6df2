# -DTRACKER_SANITIZE=address,undefined adds the sanitizers to compile and link of everything.
if(TRACKER_SANITIZE)
  add_compile_options(-fsanitize=${TRACKER_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TRACKER_SANITIZE})
endif()
