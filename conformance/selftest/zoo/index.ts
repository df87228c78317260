// Every broken server of the zoo, grouped by the spec area it breaks.
import type { Mutant } from "../descriptor.js";
import { mutant as attributeValueLimitOffByOne } from "./attribute-value-limit-off-by-one.js";
import { mutant as batchPartiallyApplied } from "./batch-partially-applied.js";
import { mutant as capOffByOne } from "./cap-off-by-one.js";
import { mutant as clockBoundaryExclusive } from "./clock-boundary-exclusive.js";
import { mutant as createReplacesPending } from "./create-replaces-pending.js";
import { mutant as delaySecondsAsMs } from "./delay-seconds-as-ms.js";
import { mutant as deleteIgnoresForce } from "./delete-ignores-force.js";
import { mutant as destroyAtOnce } from "./destroy-at-once.js";
import { mutant as disconnectGracePeriod } from "./disconnect-grace-period.js";
import { mutant as enterJoinReason } from "./enter-join-reason.js";
import { mutant as enterPendingReportsCreated } from "./enter-pending-reports-created.js";
import { mutant as enterRenamesRoom } from "./enter-renames-room.js";
import { mutant as enterResetsAttributes } from "./enter-resets-attributes.js";
import { mutant as eventsAfterReply } from "./events-after-reply.js";
import { mutant as expiredTokenAccepted } from "./expired-token-accepted.js";
import { mutant as historyNewestFirst } from "./history-newest-first.js";
import { mutant as joinIgnoresCap } from "./join-ignores-cap.js";
import { mutant as joinReplyStaleSeq } from "./join-reply-stale-seq.js";
import { mutant as joinWhenMemberSucceeds } from "./join-when-member-succeeds.js";
import { mutant as jsonDropsBatchEvent } from "./json-drops-batch-event.js";
import { mutant as kickKeepsOwnerAttributes } from "./kick-keeps-owner-attributes.js";
import { mutant as kickNoticeFirst } from "./kick-notice-first.js";
import { mutant as leaveAllById } from "./leave-all-by-id.js";
import { mutant as leaveTellsLeaver } from "./leave-tells-leaver.js";
import { mutant as leaveWithoutMemberLeft } from "./leave-without-member-left.js";
import { mutant as malformedFrameCloses } from "./malformed-frame-closes.js";
import { mutant as memberAttributesKeptByDefault } from "./member-attributes-kept-by-default.js";
import { mutant as memberAttributesReplaced } from "./member-attributes-replaced.js";
import { mutant as memberListSkipsAtPageBoundary } from "./member-list-skips-at-page-boundary.js";
import { mutant as messageEchoedToSender } from "./message-echoed-to-sender.js";
import { mutant as messageToFormerMember } from "./message-to-former-member.js";
import { mutant as messageTwiceAfterSwitch } from "./message-twice-after-switch.js";
import { mutant as pingCountsTowardRate } from "./ping-counts-toward-rate.js";
import { mutant as pingNeedsLogin } from "./ping-needs-login.js";
import { mutant as refusedEnterCreatesRoom } from "./refused-enter-creates-room.js";
import { mutant as rejoinKeepsTimer } from "./rejoin-keeps-timer.js";
import { mutant as roomNameCountsCharacters } from "./room-name-counts-characters.js";
import { mutant as secondLoginKeepsFirst } from "./second-login-keeps-first.js";
import { mutant as seqCountsDeliveries } from "./seq-counts-deliveries.js";
import { mutant as setIgnoresOwner } from "./set-ignores-owner.js";
import { mutant as snapshotToEveryone } from "./snapshot-to-everyone.js";
import { mutant as switchCountsCap } from "./switch-counts-cap.js";
import { mutant as switchFailureLeavesSource } from "./switch-failure-leaves-source.js";
import { mutant as switchKeepsOwnerAttributes } from "./switch-keeps-owner-attributes.js";
import { mutant as switchLeavesFirst } from "./switch-leaves-first.js";
import { mutant as switchLeftBeforeJoined } from "./switch-left-before-joined.js";
import { mutant as switchNotifiesSwapped } from "./switch-notifies-swapped.js";
import { mutant as updateOwnerIgnored } from "./update-owner-ignored.js";

export const ZOO: readonly Mutant[] = [
  // sessions and tokens
  expiredTokenAccepted,
  secondLoginKeepsFirst,
  kickNoticeFirst,
  kickKeepsOwnerAttributes,
  pingNeedsLogin,
  pingCountsTowardRate,
  disconnectGracePeriod,
  // transport: framing, ordering, the visibility rule, encodings
  eventsAfterReply,
  jsonDropsBatchEvent,
  malformedFrameCloses,
  // create, join, enter
  enterRenamesRoom,
  enterResetsAttributes,
  enterJoinReason,
  enterPendingReportsCreated,
  createReplacesPending,
  joinWhenMemberSucceeds,
  joinReplyStaleSeq,
  roomNameCountsCharacters,
  // the per-user cap
  capOffByOne,
  joinIgnoresCap,
  refusedEnterCreatesRoom,
  switchCountsCap,
  // switch
  switchLeavesFirst,
  switchNotifiesSwapped,
  switchFailureLeavesSource,
  switchLeftBeforeJoined,
  switchKeepsOwnerAttributes,
  // leave and leaveAll
  leaveWithoutMemberLeft,
  leaveTellsLeaver,
  leaveAllById,
  // destroy delay and the test clock
  destroyAtOnce,
  delaySecondsAsMs,
  rejoinKeepsTimer,
  clockBoundaryExclusive,
  // members
  memberListSkipsAtPageBoundary,
  // room attributes
  setIgnoresOwner,
  deleteIgnoresForce,
  updateOwnerIgnored,
  batchPartiallyApplied,
  // member attributes
  memberAttributesReplaced,
  memberAttributesKeptByDefault,
  // messages and history
  messageToFormerMember,
  messageEchoedToSender,
  messageTwiceAfterSwitch,
  historyNewestFirst,
  // events: room_seq and the snapshot
  seqCountsDeliveries,
  snapshotToEveryone,
  // limits
  attributeValueLimitOffByOne,
];
