
#compdef ortif

_ortif_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _ORTIF_COMPLETE=complete_zsh ortif)
}

compdef _ortif_completion ortif

