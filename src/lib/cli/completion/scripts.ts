/*
 * Shell completion scripts. Each registers a function that hands the words
 * typed so far to `ssmd __complete <shell> -- <words…>` (answered without
 * loading oclif, see complete.ts) and turns its answer into the shell's
 * candidates; `__files__` / `__dirs__` fall back to the shell's own path completion.
 */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

const bash = (bin: string) => `# ${bin} completion for bash. Load it from ~/.bashrc:
#   eval "$(${bin} completion bash)"
_${bin}_completion() {
  local line="\${COMP_LINE:0:COMP_POINT}"
  local -a words
  read -ra words <<< "$line"
  if [[ -z "$line" || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
  local cur="\${words[\${#words[@]}-1]}"
  local out
  out=$(command ${bin} __complete bash -- "\${words[@]:1}" 2>/dev/null) || return 0
  local IFS=$'\\n'
  case "$out" in
    __files__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    __dirs__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
  esac
  COMPREPLY=($(printf '%s\\n' "$out" | cut -f1))
  # bash replaces only the part of the word after the last ':' or '=' (COMP_WORDBREAKS).
  local wordcur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" != "$wordcur" && "$cur" == *"$wordcur" ]]; then
    local skip=$(( \${#cur} - \${#wordcur} ))
    local i
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[$i]="\${COMPREPLY[$i]:$skip}"; done
  fi
  if [[ \${#COMPREPLY[@]} -eq 1 && "\${COMPREPLY[0]}" == *[:=] ]]; then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -F _${bin}_completion ${bin}
`

const zsh = (bin: string) => `#compdef ${bin}
# ${bin} completion for zsh. Load it from ~/.zshrc (after compinit):
#   eval "$(${bin} completion zsh)"
# or save it as _${bin} in a folder of your $fpath.
_${bin}() {
  local -a args lines cands
  args=("\${(@Q)words[2,CURRENT]}")
  lines=("\${(@f)$(command ${bin} __complete zsh -- "\${args[@]}" 2>/dev/null)}")
  case "\${lines[1]}" in
    __files__) _files; return ;;
    __dirs__) _files -/; return ;;
  esac
  local l v d
  for l in "\${lines[@]}"; do
    [[ -n "$l" ]] || continue
    v="\${l%%$'\\t'*}"
    d=""
    [[ "$l" == *$'\\t'* ]] && d="\${l#*$'\\t'}"
    cands+=("\${v//:/\\\\:}\${d:+:$d}")
  done
  (( \${#cands} )) && _describe -t values '${bin}' cands
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _${bin} "$@"
else
  compdef _${bin} ${bin}
fi
`

const fish = (bin: string) => `# ${bin} completion for fish. Save it as ~/.config/fish/completions/${bin}.fish:
#   ${bin} completion fish > ~/.config/fish/completions/${bin}.fish
function __${bin}_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    set -l out (command ${bin} __complete fish -- $tokens 2>/dev/null)
    switch "$out[1]"
        case __files__
            __fish_complete_path (commandline -ct)
        case __dirs__
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\\n' $out
    end
end
complete -c ${bin} -e
complete -c ${bin} -f -a '(__${bin}_complete)'
`

const powershell = (bin: string) => `# ${bin} completion for PowerShell. Add to your profile ($PROFILE):
#   ${bin} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName ${bin} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $line = $commandAst.Extent.Text
  if ($cursorPosition -lt $line.Length) { $line = $line.Substring(0, $cursorPosition) }
  $words = @($line -split '\\s+' | Select-Object -Skip 1)
  if ($line -match '\\s$') { $words += '' }
  $out = @(& ${bin} __complete powershell -- @words 2>$null)
  if ($out.Count -gt 0 -and ($out[0] -eq '__files__' -or $out[0] -eq '__dirs__')) {
    $dirsOnly = $out[0] -eq '__dirs__'
    Get-ChildItem -Path "$wordToComplete*" -ErrorAction SilentlyContinue |
      Where-Object { -not $dirsOnly -or $_.PSIsContainer } |
      ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderItem', $_.Name) }
    return
  }
  foreach ($l in $out) {
    if (-not $l) { continue }
    $parts = $l -split "\`t", 2
    $tip = if ($parts.Count -gt 1 -and $parts[1]) { $parts[1] } else { $parts[0] }
    [System.Management.Automation.CompletionResult]::new($parts[0], $parts[0], 'ParameterValue', $tip)
  }
}
`

export function completionScript(shell: Shell, bin = 'ssmd'): string {
  switch (shell) {
    case 'bash':
      return bash(bin)
    case 'zsh':
      return zsh(bin)
    case 'fish':
      return fish(bin)
    case 'powershell':
      return powershell(bin)
  }
}
