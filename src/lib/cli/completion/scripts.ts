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
  # Readline replaces only the text after the last COMP_WORDBREAKS character of the
  # word ('=' and ':' among them): answers are whole words, so that part is cut off.
  local pre="" i
  for (( i=\${#cur}-1; i>=0; i-- )); do
    if [[ "\${COMP_WORDBREAKS-}" == *"\${cur:i:1}"* ]]; then pre="\${cur:0:i+1}"; break; fi
  done
  local out
  out=$(command ${bin} __complete bash -- "\${words[@]:1}" 2>/dev/null) || return 0
  local IFS=$'\\n'
  # A path after --flag= is completed on its own and put back behind --flag=.
  local head=""
  [[ "$cur" == -*=* ]] && head="\${cur%%=*}="
  case "$out" in
    __files__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "\${cur#"$head"}")) ;;
    __dirs__) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "\${cur#"$head"}")) ;;
    *) head=""; COMPREPLY=($(printf '%s\\n' "$out" | cut -f1)) ;;
  esac
  for i in "\${!COMPREPLY[@]}"; do
    COMPREPLY[$i]="$head\${COMPREPLY[$i]}"
    COMPREPLY[$i]="\${COMPREPLY[$i]#"$pre"}"
  done
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
    __files__|__dirs__)
      # A path after --flag=: only the part after '=' is a path.
      [[ "$PREFIX" == -*=* ]] && compset -P '*='
      if [[ "\${lines[1]}" == __dirs__ ]]; then _files -/; else _files; fi
      return ;;
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
    # A path after --flag= is completed on its own and put back behind --flag=.
    set -l tok (commandline -ct)
    set -l head (string match -r -- '^-[^=]*=' $tok)
    set -l path (string sub -s (math (string length -- "$head") + 1) -- $tok)
    switch "$out[1]"
        case __files__
            for p in (__fish_complete_path $path)
                printf '%s%s\n' "$head" $p
            end
        case __dirs__
            for p in (__fish_complete_directories $path)
                printf '%s%s\n' "$head" $p
            end
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
    # A path after --flag=: only the part after '=' is a path, the answer keeps --flag=.
    $head = if ($wordToComplete -match '^(-[^=]*=)') { $Matches[1] } else { '' }
    $path = $wordToComplete.Substring($head.Length)
    $parent = if ($path -match '[\\\\/]') { $path -replace '[^\\\\/]*$', '' } else { '' }
    Get-ChildItem -Path "$path*" -ErrorAction SilentlyContinue |
      Where-Object { -not $dirsOnly -or $_.PSIsContainer } |
      ForEach-Object { [System.Management.Automation.CompletionResult]::new($head + $parent + $_.Name, $_.Name, 'ProviderItem', $_.Name) }
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
