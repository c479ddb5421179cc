" HyCo files (hycoc input) by extension.
autocmd BufRead,BufNewFile *.hyco setfiletype hyco
