"""The words for every reason an error names (`domain/errors.py` `Reason`): the one place
seedance's advice is written, shared by the command line and the MCP server (and a library
user's `seedance.explain`). Nothing below the front ends words advice (tests/architecture).

Each reason's words are a template its values fill (`{task}`), or, where the words depend
on a value (one clip or several), a function of the values. Words that end in "with" lead
into the next steps the front end adds (a command to type, a tool to call)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from seedance.domain.errors import Reason, SeedanceError
from seedance.domain.extras import install_hint

Words = str | Callable[[dict[str, Any]], str]


def _either(flag: str, yes: str, no: str) -> Callable[[dict[str, Any]], str]:
    """Words that depend on a yes/no value."""
    return lambda values: (yes if values.get(flag) else no).format_map(values)


HINTS: dict[str, Words] = {
    "account_full": (
        "let the account's tasks finish, or raise the profile's max_running if the account allows"
        " more"
    ),
    "activate_model": "activate it in the provider's console",
    "again_finds_made": "run the same command again: it finds what was made",
    "agent_files_confined": (
        "an agent's files are read and written only in the server's output folder"
    ),
    "answers_invalid": (
        "the task keeps running on the server; once it answers properly, continue with"
    ),
    "api_unreachable": "check the network, the base_url, and the proxy and CA settings shown above",
    "asset_id_form": "write asset://ID",
    "asset_key_used": "profile '{profile}' used the key from {source}",
    "asset_keys_used": (
        "profile '{profile}' signs asset requests with the access key in {ak} and {sk}"
    ),
    "asset_kind_ambiguous": "say which it is",
    "asset_not_active": "it can be used once Active; check it later with",
    "asset_source_not_public": "the asset library downloads media from public URLs",
    "asset_source_unusable": "give a local file or an https:// URL",
    "asset_upload_failed": (
        "the library must be able to download the medium from a public URL, and it must meet the "
        "media rules; fix it and upload again"
    ),
    "batch_output_not_folder": "give a folder for the clips",
    "body_too_large": (
        "send fewer or smaller inline images and audio (a URL or an asset:// id instead of a "
        "local file keeps them out of the body)"
    ),
    "branches_not_joined": (
        "each branch is its own film: leave out the join, or put each branch in its own storyboard"
    ),
    "bucket_credentials_temporary": "use long-lived credentials for runs that last longer",
    "bucket_not_public": (
        "the API's servers must reach the bucket: only a local simulator can fetch from it"
    ),
    "bucket_permissions": "the credentials need s3:GetObject and s3:PutObject on the prefix",
    "bucket_presign_refused": (
        "check the bucket's credentials and that anyone holding its URL may read it"
    ),
    "budget_cap": (
        "raise {cap} in the profile, or wait for the next {period} (UTC); see what was spent with"
    ),
    "check_library_first": "check the library before uploading again",
    "check_model_id": "check the id",
    "clock_drifting": "consider syncing the system clock (NTP)",
    "clock_off": "set the system clock (NTP): signed asset requests are refused when it is off",
    "continue_waiting": "it keeps running; continue with",
    "continuity_first_frame_unsupported": (
        'use continuity = "reference" (the last frame as a reference image) or "none"'
    ),
    "continuity_too_many_images": (
        'drop an image, or set continuity = "none" (it then takes no frame)'
    ),
    "data_url_form": "give data:image/png;base64,... or a file path",
    "disk_full": "free some space and run the same command again; the task keeps its result",
    "dns_failed": "check the base_url, your DNS, or a proxy (HTTPS_PROXY) if you need one",
    "download_again": "run the same command again: it downloads it again",
    "download_not_a_video": (
        "a proxy or the network may have answered instead of the result host; run the same "
        "command again: it downloads the video again"
    ),
    "download_restart_later": "the partial file was removed; run the same command again later",
    "download_resumes": "run the same command again: it resumes where it stopped",
    "download_starts_over": "run the same command again: it starts over",
    "draft_expired": "make a new draft",
    "draft_missing": "make its draft again with",
    "drafts_missing": "make the drafts first with",
    "drafts_need_ark": "drafts and their finals are made through the Ark task API",
    "earlier_create_failed": (
        "it is not followed again; making it again is a new create, billed anew"
    ),
    "earlier_create_may_exist": (
        "an earlier create of this request to this output may have reached the server; move the "
        "file away, then run the same command again: it looks for that task"
    ),
    "earlier_create_refused": (
        "it is not sent again, nor followed; making it anew is a new create, billed anew"
    ),
    "earlier_task_gone": "the server no longer has the task an earlier create of this request made",
    "exists": "choose another name, or move it away",
    "exists_can_force": "choose another name, or move it away, or replace it with",
    "exists_can_rename": "move it away, or give another name",
    "export_file_exists": "give a new file name",
    "export_newer": "import it with the version that exported it, or a newer one",
    "failed_not_remade": "it is not made again unless you ask: that is billed anew; make it with",
    "fix_and_again": "fix it, then run the same command again: nothing made is lost",
    "fix_jobs": "fix the file",
    "fix_jobs_or_skip": "fix the file, or run the valid rows and list the others with",
    "folder_missing": "create it first",
    "inline_too_large": "shorten or compress it, or publish it as a URL (the profile's storage)",
    "interrupted_create": "the same command finds its task (never sending it twice) when run again",
    "interrupted_create_unrecorded": (
        "it was not sent again; the server's task list (or the journal) shows it"
    ),
    "jobs_csv_shape": "a header row, then one row per video",
    "jobs_file_kind": "name the file .jsonl (one JSON object a line) or .csv (a header row)",
    "jobs_outside": (
        "a jobs file reads only files in its folder; if you trust it, let it read files elsewhere"
        " with"
    ),
    "jobs_row_id_taken": "give the row another id",
    "jobs_row_shape": "one video per row",
    "journal_damaged": "see what can be read of it, then rebuild it (a copy is kept) with",
    "journal_unwritable": (
        "make its folder writable and free some space beside it (a copy is kept), then run again"
    ),
    "journal_upgrade_blocked": (
        "free some space beside it (a copy is kept before it is upgraded) or make its folder "
        "writable, then run again (it is upgraded first) with"
    ),
    "key_refused": "check the key, and that it belongs to this provider and region",
    "key_used": "profile '{profile}' used the key from {source}; check it with",
    "local_media_ways": (
        "set the profile's storage (a bucket it publishes to), use an https:// URL, or make it an"
        " asset with"
    ),
    "look_again": "the same command looks again when run again",
    "lost_create_candidates": (
        "it was not sent again, so nothing is billed twice; if one of them is this create's (see "
        "it with the first), save its video with the second; else make the video anew, billed "
        "anew, with the last"
    ),
    "lost_create_list_not_current": (
        "it was not sent again, so nothing is billed twice; in a minute, the same command looks "
        "once more (and sends it only if it never arrived)"
    ),
    "lost_create_no_list": (
        "this provider lists no tasks: its console shows whether one was created (its id is the "
        "TASK_ID); if so, follow it with"
    ),
    "lost_create_search_failed": (
        "it was not sent again, so nothing is billed twice; run the same command again to look "
        "once more, or"
    ),
    "lost_create_still_running": (
        "it was not sent again, so nothing is billed twice; once they have ended, the same "
        "command tells its own by its identity and goes on; follow them with"
    ),
    "lost_create_unlisted": (
        "it was not sent again, so nothing is billed twice; find it in the provider's console and"
        " save its video with the first, or make it anew, billed anew, with the last"
    ),
    "made_elsewhere_in_output": (
        "move the file away and run the same command again, or save the video under another name "
        "with"
    ),
    "media_mendable": "a re-encode within the bounds mends it",
    "media_out_of_bounds": "give a medium within the bounds",
    "model_folded_strict": "strict mode refuses it; its replacement is {replacement}",
    "model_missing": "name one",
    "model_not_activated": (
        "fix the model name, or activate it in the provider's console; the models this key can "
        "use are shown by"
    ),
    "move_it_away": "move it away",
    "no_asset_library": "use a profile with assets_url, or pass media as https:// URLs",
    "no_upload_cmd": (
        "set storage in [profiles.{profile}] of profiles.toml to your bucket (storage = "
        '"s3://bucket/prefix": local media are published there), or upload_cmd to a command that '
        "publishes {{path}} and prints its public https:// URL last; or pass a public https:// "
        "URL or an asset://ID instead"
    ),
    "not_a_folder": "give a folder",
    "not_arrived": "nothing is billed; try again later",
    "output_exists": "choose another name, or overwrite it with",
    "output_is_folder": "give a file name, e.g. -o clip.mp4",
    "output_is_folder_named": "give a file name, e.g. clip.mp4",
    "output_is_folder_plain": "give a file name",
    "output_not_a_file": "give the name of a new file",
    "outputs_collide": "give each its own name",
    "outside_folder": "only files in that folder are read",
    "place_unwritable": "choose another place, or fix its permissions",
    "price_lower_bound": (
        "give the video as a local file or a URL whose header can be read (with the video extra "
        "installed), or let it through counted at its lower bound with"
    ),
    "price_unknown_under_cap": (
        "give the profile a price for its model, or let unpriced requests through (they count as "
        "nothing) with"
    ),
    "profile_with_frames": "or use a profile whose API returns last frames",
    "reencode_yourself": "re-encode it yourself (H.264 in MP4, within the bounds)",
    "reference_needs_asset_library": (
        "configure its asset library (assets_url) or upload the medium yourself"
    ),
    "reference_not_public": "pass the file's path or a public URL instead",
    "reference_unusable": "give a local file, an https:// URL or asset://ID",
    "region_without_seedance": (
        "use a region that serves Seedance (the byteplus preset, ap-southeast-1); keys are per "
        "region"
    ),
    "remade_is_billed": "making it again is a new create, billed anew",
    "remake_shot": "make that shot again",
    "remake_unit": "make the {noun} again",
    "request_busy": "run the same command again once it is done: it finds the video",
    "request_id_other_output": (
        "repeat it with that output, or give a new request id for a new video"
    ),
    "request_id_reused": (
        "repeat that request unchanged to get its video, or give this one a new request id (a new"
        " video, paid again)"
    ),
    "request_id_unrecordable": "make its folder and file writable, or leave the request id out",
    "result_expired": "results are kept about 24 hours; if the task is older, it is gone",
    "result_gone": "results are kept about 24 hours; check the task with",
    "result_kept": (
        "task {task} keeps its result on the server for about 24 hours; fix it, then run the same"
        " command again"
    ),
    "resume": "resume with",
    "review_folder_empty": "give the output folder of a storyboard or a batch, its files in it",
    "review_not_a_folder": "give the output folder of a storyboard or a batch",
    "run_busy": "let it finish, then run the same command again: it finds the work done",
    "run_cap_exceeded": "raise the cap, or make fewer, shorter or smaller videos",
    "save_first": "save it first with",
    "shots_failed_kept": (
        "finished shots are kept; retry the others by running the same command again"
    ),
    "shots_missing": "make them first with",
    "simulator_not_running": (
        "its sim-* profiles work while it runs; start one in another terminal with"
    ),
    "simulator_profiles": "its profiles are {names}",
    "state_grant": "have the database's owner run: {grants}",
    "state_grant_create": (
        "have the database's owner run: GRANT CREATE ON SCHEMA {schema} TO {role}; or set the "
        "state up once as the owner, with the same state URL, with"
    ),
    "state_login_refused": (
        "check the state URL's user and database, and the password (in PGPASSWORD or ~/.pgpass)"
    ),
    "state_lost": (
        "check the database server, then run the same command again: what was recorded is kept, "
        "and what this machine kept meanwhile is written when the database returns"
    ),
    "state_read_only": (
        "point the state URL at the primary server, or turn default_transaction_read_only off for"
        " this database"
    ),
    "state_schema_newer": "upgrade this machine's installation to the version your team uses",
    "state_schema_older": (
        "upgrade it once, for everyone who shares it (their installations must be as new), with"
    ),
    "state_unreachable": (
        "check that the database server runs, and the state URL; while a state URL is set, the "
        "local journal is never used instead"
    ),
    "still_in_the_way": "move it away, and the still is made the next time",
    "storage_credentials_missing": (
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile of "
        "~/.aws/credentials (none are stored in the profile)"
    ),
    "storyboard_dir_taken": (
        "start over with a restart, or keep that run and write this one to another directory"
    ),
    "storyboard_over_cap": "raise the cap, shorten shots, or lower the resolution",
    "storyboard_price_unknown": (
        "set the model's price in the profile (prices), or let unpriced requests through with"
    ),
    "take_failed_kept": "it is kept failed; make it again (billed anew) with",
    "takes_failed_remade": "takes that failed on the server are made again (billed anew) with",
    "takes_kept": "finished takes are kept; the same command makes the others",
    "time_format": "give seconds like 1.5s, 1500ms or 0:01.5",
    "trust_outside": "if you trust the file, let it read files elsewhere with",
    "upload_cmd_failed": "run the command yourself to see why",
    "upload_cmd_no_url": "make the command print the file's public https:// URL as its last line",
    "upload_cmd_script": (
        "in the script, use the environment variables {variables} (quoted) instead"
    ),
    "video_damaged": "the file is damaged or not a video; download it again",
    "video_source_forms": "a file, a URL, asset://ID or a task id",
    "video_task_changed": "give the file you mean by its path",
    "video_task_unknown": (
        "give the video's path or URL, or the id of a task whose video was saved here"
    ),
    "video_task_unsaved": "save it first (download), or give its path or URL",
    "wait_for_it": "wait for it with",
    "write_failed": "fix that and run the same command again; the task keeps its result",
    "wrong_media_kind": "give it as a reference {kind}",
}

# Words that depend on their values.
HINTS |= {
    "install_extra": lambda v: install_hint(v["extra"]),
    "frame_from_video": lambda v: "PyAV would take it from the video: " + install_hint(v["extra"]),
    "rows_invalid": lambda v: f"{v['more']} more row{'s' if v['more'] != 1 else ''} invalid",
    "rows_changed": _either(
        "many",
        "make them again on purpose (the earlier clips are replaced) with",
        "make it again on purpose (the earlier clip is replaced) with",
    ),
    "shots_changed": _either(
        "many",
        "start over with a restart, or make them again (and what follows)",
        "start over with a restart, or make it again (and what follows)",
    ),
    "still_not_ours": _either(
        "can_force",
        "move it away, or give the video another name, or replace it with",
        "move it away, or give the video another name",
    ),
    "frame_upload_needed": _either(
        "alternative",
        "set upload_cmd in the profile, or use profile {alternative} (the same gateway's API "
        'returns last frames), or set continuity = "none"',
        'set upload_cmd in the profile, or set continuity = "none"',
    ),
    "expired_saved_elsewhere": _either(
        "by_label",
        "copy that file here as {copy_as} and run the same command again (it is verified by "
        "its SHA-256), or make it anew (billed anew) under a new request id",
        "copy that file here as {copy_as} and run the same command again (it is verified by "
        "its SHA-256), or make it anew (billed anew) with",
    ),
    "lost_answer": _either(
        "can_list",
        "it was not sent again, so nothing is billed twice; the server's task list shows "
        "whether it made one, and the journal what was sent",
        "it was not sent again, so nothing is billed twice; the provider's console shows "
        "whether a task was created, and the journal what was sent",
    ),
}


# Words for the reasons the providers (each API's error codes) and the domain name.
HINTS |= {
    "account_not_enabled": (
        "the account has not been enabled for this model or the asset library; ask the provider"
    ),
    "ask_for_last_frame": "ask for one when creating the task (return_last_frame)",
    "asset_group_other_account": (
        "a group belongs to one account: give another group, or remove asset_group from the "
        "profile to make one; this account's groups are listed by"
    ),
    "asset_id_forms": "write asset://ID or the id alone",
    "asset_may_exist": "it may have been made anyway: check before trying again with",
    "asset_other_account": (
        "an asset belongs to one account: use the profile it was uploaded with, and check the id "
        "in the asset list"
    ),
    "assets_region_missing": "set assets_region (e.g. ap-southeast-1 or cn-beijing)",
    "bucket_missing": (
        "create it, or fix the profile's storage (s3://bucket/prefix) and storage_endpoint"
    ),
    "bucket_refused": (
        "check the bucket's credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the "
        "AWS_PROFILE in ~/.aws/credentials) and that they may read and write the bucket"
    ),
    "ca_bundle_broken": "point it at a PEM file of CA certificates, or unset it",
    "check_connection": "check your connection and the profile's base_url",
    "choose_flavor": "set flavor to one of: {choices}",
    "choose_one": "choose one of: {choices}",
    "create_may_exist": (
        "the task may exist and be billed: check the provider's task list or console before "
        "trying again"
    ),
    "create_not_repeated": "it was not repeated, so nothing is billed twice",
    "draft_fixed": "leave the {field} out; the final made from the draft takes one",
    "duration_range": "the model's duration range is listed by",
    "frame_with_references": (
        "give the frame as a reference image instead, or leave the reference media out"
    ),
    "gateway_action_closed": (
        "the gateway does not open this action (no Update* or Delete* of assets)"
    ),
    "gateway_assets_only": (
        'this gateway takes media only as asset://ID: set references = "assets" in the profile, '
        "or upload the media first with"
    ),
    "gateway_feature_disabled": (
        "the gateway has not enabled this feature for your account; ask its administrator"
    ),
    "gateway_model_unmapped": (
        "the gateway has not mapped this model to an official version; ask its administrator or "
        "use another model"
    ),
    "gateway_needs_prompt": "give a prompt: this gateway needs one even with reference media",
    "gateway_no_channel": (
        "the gateway has no channel for this model right now; ask its administrator or try "
        "another model"
    ),
    "gateway_no_last_frame": (
        "extract one from the video, or use an Ark profile and ask for one (return_last_frame)"
    ),
    "key_cmd_failed": "run it yourself to see why",
    "key_damaged": "copy the key again, exactly as the console shows it",
    "key_empty": "set the key",
    "model_not_allowed": (
        "this key may not use this model: check the key's model list, or pick another from"
    ),
    "model_not_open": (
        "the model is real but not activated on this account: activate it in the provider's "
        "console; which models are open is shown by"
    ),
    "moderation_skip_refused": "the gateway does not allow skipping moderation",
    "no_cancel": "the task runs to its end; nothing more is billed for waiting",
    "no_listing": "the provider's console lists them",
    "no_profiles": "add one from a preset (such as byteplus), or try the offline demo profile",
    "no_such_model": (
        "no such model or endpoint for this key: check its name; the catalogue's are listed by"
    ),
    "no_task_list": "the tasks this machine created are in the local journal",
    "nothing_sent_check_profile": "nothing was sent; check the profile's key and base_url",
    "overlay_broken": "fix the catalogue overlay, or move it away to use the bundled catalogue",
    "own_model_id": "or name the provider's own model id to send it anyway",
    "profile_broken": "edit profiles.toml, or write the profile again with",
    "profile_unknown": "the profiles are {names}; or create it with",
    "profiles_file_invalid": "fix the file or move it away",
    "profiles_tables": "edit the file: each profile is a [profiles.NAME] table",
    "prompt_blank": "write what to make",
    "prompt_not_utf8": "save it as UTF-8",
    "prompt_nul": "remove it",
    "proxy_scheme": (
        "use an http://, https://, socks5:// or socks5h:// proxy, or exempt the host with NO_PROXY"
    ),
    "redirect_refused": (
        "API redirects are not followed with your key; if the service moved, set the profile's "
        "base_url to its new address"
    ),
    "resolution_refused": (
        "the model does not take this resolution here (a final made from a 2.5 draft is 1080p, or"
        " 4k where offered); the resolutions are listed by"
    ),
    "result_host_private": (
        "a gateway on a private network is trusted with its results when the profile's base_url "
        "is on that network"
    ),
    "running_task_not_cancellable": (
        "a running task cannot be cancelled; cancelling deletes it once it has finished, so wait "
        "for it first with"
    ),
    "set_access_keys": "set {ak} and {sk}",
    "slow_answer": "try again later; the server or the network in between is slow",
    "socks_missing": "install it with: pip install 'httpx[socks]'",
    "state_url_form": (
        "give a postgresql:// URL with the user, host, port and database (the password in "
        "PGPASSWORD or ~/.pgpass), or remove it to use the local journal"
    ),
    "storage_profile_broken": "check AWS_PROFILE and ~/.aws/config",
    "strict_known_models": "strict mode sends only models the catalogue knows",
    "task_id_form": "copy the id as create printed it",
    "task_not_followable": (
        "that task cannot be followed from here; the provider's console shows it"
    ),
    "task_not_found": "check the task id, and use the profile it was created with",
    "task_type_constraint": (
        "the task type (asked for, or as the model judged the request) follows its video's shape:"
        " it takes only the adaptive ratio, and an edit only an automatic duration (-1)"
    ),
    "task_type_mismatch": (
        "the model judged this request another task type than the one asked for (edit and extend "
        "need a reference video; an edit takes only duration -1 and ratio adaptive)"
    ),
    "top_up": "top up the account's balance, then run the command again",
    "try_again": "try again; nothing was lost",
    "wrong_assets_server": "assets_url may point at the wrong server; check the profile with",
    "wrong_server": "the base_url may point at the wrong server; check the profile with",
    "model_retired": _either(
        "replacement",
        "use {replacement}; the models it serves are listed by",
        "choose another model; the models it serves are listed by",
    ),
    "native_accepts": "profile {preset} (the Ark API on the same gateway) accepts all of these",
    "no_key": lambda v: (
        (f"set {v['env']}" if v["env"] else "add api_key_env to the profile")
        + f", or set {v['override']}; where the key is looked for is shown by"
    ),
}


class _Given(dict[str, Any]):
    """A reason's values; one its words need but it lacks is shown as its name, never a
    traceback in the middle of reporting an error."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def words_of(reason: Reason) -> str:
    """One reason in words (its name, should a newer library name one this table lacks)."""
    found = HINTS.get(reason.name)
    if found is None:
        return reason.name.replace("_", " ")
    values = _Given(reason.value_map)
    return found(values) if callable(found) else found.format_map(values)


def words(reasons: Iterable[Reason]) -> str | None:
    """Reasons in words, in order, one clause each."""
    said = [words_of(r) for r in reasons]
    return "; ".join(said) if said else None


def hint(exc: SeedanceError) -> str | None:
    """What to do about `exc`: a front end's own words first (`exc.hint`), then its reasons'."""
    found = [text for text in (exc.hint, words(exc.reasons)) if text]
    return "; ".join(found) if found else None


def explain(exc: SeedanceError) -> str:
    """The error for people: its message and what to do, URLs without their query strings
    (a presigned URL's signature is a credential). `seedance.explain(exc)` for a library
    user."""
    from seedance.domain.redact import redact_urls

    advice = hint(exc)
    return redact_urls(f"{exc.message}; {advice}" if advice else exc.message)
