" Vim syntax file
" Language:    HyCo (.hyco), the input language of hycoc
" Maintainer:  the hycoc project
" Install:     copy editors/vim/syntax and editors/vim/ftdetect into ~/.vim/
"              (or add editors/vim to 'runtimepath')
" The keyword list is the scanner's (compiler/lexer.l, kw_table); tests/t_editors.sh
" checks that the two agree.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" Statement keywords: reserved words of the scanner.
syn keyword hycoKeyword seed const domain points data net param field let loss train
syn keyword hycoKeyword step epochs iterations expect report over optimizer in on then
syn keyword hycoKeyword weights track grid sim

" Words with a meaning only in some places (ordinary names elsewhere).
syn keyword hycoContextual every grow by warmup schedule state

" Built-in functions and the constant pi.
syn keyword hycoBuiltin sin cos tan exp log tanh sqrt abs sign sinh cosh atan asin acos atan2 stop where
syn keyword hycoBuiltin mse mae mean sum max min rel_l2 linf noise d lap load
syn keyword hycoConstant pi

" Library calls: domains, point sets, networks, optimizers, schedules, balancers,
" activations and initialisations.
syn keyword hycoLibrary interval rect box disk polygon union intersection difference
syn keyword hycoLibrary spacetime boundary periodic linspace random latin sobol halton
syn keyword hycoLibrary mlp modified_mlp resnet fourier adam adamw lbfgs lbfgsb chain
syn keyword hycoLibrary clip_norm warmup_cosine cosine exponential step_decay
syn keyword hycoLibrary relobralo softadapt dwa lra rlw uncertainty multiadam residual
syn keyword hycoLibrary gelu softplus sigmoid swish glorot_normal glorot_uniform he_normal

" Derivatives written as d followed by coordinate names: dx(...), dxx(...), dxt(...).
syn match hycoDerivative "\<d[a-z]\{1,8}\ze\s*("

" Declared name after a declaring keyword.
syn match hycoDeclName "\%(\<\%(const\|domain\|points\|data\|net\|param\|field\|let\|loss\|weights\|grid\|sim\)\s\+\)\@<=\h\w*"

" Numbers: 12  1.5  .5  1e-3  2.5E+4
syn match hycoNumber "\<\d\+\%(\.\d*\)\=\%([eE][+-]\=\d\+\)\=\>"
syn match hycoNumber "\.\d\+\%([eE][+-]\=\d\+\)\=\>"

" Strings with escapes \" \\ \n \t.
syn region hycoString start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline contains=hycoEscape
syn match hycoEscape +\\[\\"nt]+ contained

syn match hycoOperator "->\|\.\.\|<=\|>=\|[-+*/^=<>]"

syn keyword hycoTodo contained TODO FIXME XXX NOTE
syn match hycoComment "#.*$" contains=hycoTodo,@Spell

hi def link hycoKeyword     Statement
hi def link hycoContextual  Statement
hi def link hycoBuiltin     Function
hi def link hycoLibrary     Type
hi def link hycoConstant    Constant
hi def link hycoDerivative  Function
hi def link hycoDeclName    Identifier
hi def link hycoNumber      Number
hi def link hycoString      String
hi def link hycoEscape      SpecialChar
hi def link hycoOperator    Operator
hi def link hycoTodo        Todo
hi def link hycoComment     Comment

let b:current_syntax = "hyco"

let &cpo = s:cpo_save
unlet s:cpo_save
