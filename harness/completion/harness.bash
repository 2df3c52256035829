# bash completion for harness(1): verbs, suite names, result directories,
# experiment names. Installed as share/bash-completion/completions/harness.
_harness_suites_dir()
{
	local bin top
	if [ -n "${HARNESS_TOP:-}" ]; then
		top=$HARNESS_TOP
	else
		bin=$(command -v harness 2>/dev/null) || return
		bin=$(readlink -f "$bin")
		top=${bin%/build/bin/harness}
	fi
	[ -d "$top/harness/suites" ] && printf '%s\n' "$top/harness/suites"
}

_harness()
{
	local cur prev words cword
	_init_completion || return
	local verbs="doctor noise image vm run report compare export experiments history help"
	local i=1
	[[ ${words[1]} == --quiet || ${words[1]} == -q ]] && i=2
	if ((cword == i)); then
		COMPREPLY=($(compgen -W "$verbs --quiet --help" -- "$cur"))
		return
	fi
	case ${words[i]} in
	doctor)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "--host --require-kvm --noise" -- "$cur"))
		[[ $prev == --host ]] && COMPREPLY=($(compgen -W "qemu:///system qemu+ssh:// qemu+tls:// qemu+tcp://" -- "$cur"))
		;;
	image)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "prepare" -- "$cur")) ||
			COMPREPLY=($(compgen -W "general security" -- "$cur"))
		;;
	vm)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "up down status exec" -- "$cur"))
		;;
	run)
		case $prev in
		--resume | --results) _filedir -d; return ;;
		suite)
			local dir
			dir=$(_harness_suites_dir)
			COMPREPLY=($(compgen -W "$(cd "$dir" 2>/dev/null && ls *.yaml 2>/dev/null | sed 's/\.yaml$//')" -- "$cur"))
			_filedir yaml
			return
			;;
		esac
		COMPREPLY=($(compgen -W "suite --resume --results --order --no-restore --dry-run" -- "$cur"))
		;;
	report)
		[[ $prev == -o || $prev == --output ]] && { _filedir pdf; return; }
		_filedir -d
		;;
	compare)
		[[ $prev == --alpha || $prev == --threshold || $prev == --equivalence || $prev == --seed ]] && return
		[[ $cur == -* ]] && { COMPREPLY=($(compgen -W "--alpha --threshold --equivalence --allow-env-change --json --seed --include-disturbed" -- "$cur")); return; }
		_filedir -d
		;;
	noise)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "--" -- "$cur")) || COMPREPLY=($(compgen -c -- "$cur"))
		;;
	export)
		[[ $prev == -o || $prev == --output ]] && { _filedir csv; return; }
		[[ $cur == -* ]] && { COMPREPLY=($(compgen -W "--csv -o" -- "$cur")); return; }
		_filedir -d
		;;
	history)
		if ((cword == i + 1)); then
			COMPREPLY=($(compgen -W "add detect mark show export rerun-suite --help" -- "$cur"))
			return
		fi
		case $prev in
		--history) _filedir db; return ;;
		--png) _filedir png; return ;;
		-o | --output) _filedir; return ;;
		--suite | --experiment | --settings | --guest | --metric | --host | --since | --window | --min-size | \
			--max-pvalue | --min-magnitude | --floor | --commit | --commit-date | --note | --night) return ;;
		esac
		local filters="--suite --experiment --settings --guest --metric --host"
		local detector="--since --window --min-size --max-pvalue --min-magnitude --floor"
		local opts
		case ${words[i + 1]} in
		add) opts="--history --commit --commit-date --rerun" ;;
		detect) opts="--history --json $filters $detector" ;;
		mark) opts="--history --note --night --experiment --settings --guest --metric" ;;
		show) opts="--history --json --png -o $filters $detector" ;;
		export) opts="--history --csv -o $filters" ;;
		rerun-suite) opts="--history -o $detector" ;;
		esac
		[[ $cur == -* ]] && { COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; }
		[[ ${words[i + 1]} == add || ${words[i + 1]} == rerun-suite ]] && _filedir -d
		;;
	experiments)
		((cword == i + 1)) && COMPREPLY=($(compgen -W "$(harness experiments 2>/dev/null | sed -n 's/^\([a-z0-9][a-z0-9_-]*\)$/\1/p') --man" -- "$cur"))
		;;
	esac
} && complete -F _harness harness
