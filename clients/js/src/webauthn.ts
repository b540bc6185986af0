// WebAuthn's JSON forms <-> the ArrayBuffers navigator.credentials takes and gives: the API sends options as
// PublicKeyCredential{Creation,Request}OptionsJSON and takes the credential as PublicKeyCredential.toJSON() makes it.
// Done here rather than with the browsers' parse*OptionsFromJSON/toJSON, which not every current browser has.
import { fromBase64Url, toBase64Url } from './base64url.js';
import type { PasskeyCreationOptions, PasskeyCredentialJson, PasskeyRequestOptions } from './types.js';

type Descriptor = PasskeyCreationOptions['excludeCredentials'][number];

export function creationOptions(json: PasskeyCreationOptions): PublicKeyCredentialCreationOptions {
  return {
    rp: json.rp,
    user: { ...json.user, id: fromBase64Url(json.user.id) },
    challenge: fromBase64Url(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams.map((param) => ({ type: param.type as PublicKeyCredentialType, alg: Number(param.alg) })),
    timeout: Number(json.timeout),
    excludeCredentials: json.excludeCredentials.map(descriptor),
    authenticatorSelection: {
      residentKey: json.authenticatorSelection.residentKey as ResidentKeyRequirement,
      requireResidentKey: json.authenticatorSelection.requireResidentKey,
      userVerification: json.authenticatorSelection.userVerification as UserVerificationRequirement,
    },
    attestation: json.attestation as AttestationConveyancePreference,
    extensions: json.extensions,
  };
}

export function requestOptions(json: PasskeyRequestOptions): PublicKeyCredentialRequestOptions {
  return {
    challenge: fromBase64Url(json.challenge),
    timeout: Number(json.timeout),
    rpId: json.rpId,
    allowCredentials: json.allowCredentials.map(descriptor),
    userVerification: json.userVerification as UserVerificationRequirement,
  };
}

function descriptor(json: Descriptor): PublicKeyCredentialDescriptor {
  return {
    type: json.type as PublicKeyCredentialType,
    id: fromBase64Url(json.id),
    ...(json.transports ? { transports: json.transports as AuthenticatorTransport[] } : {}),
  };
}

/** The credential a create() or get() gave, as PublicKeyCredential.toJSON() would give it. */
export function credentialJson(credential: PublicKeyCredential): PasskeyCredentialJson {
  const response = credential.response as Partial<AuthenticatorAttestationResponse & AuthenticatorAssertionResponse>;
  const extensions = typeof credential.getClientExtensionResults === 'function' ? credential.getClientExtensionResults() : {};
  const json: PasskeyCredentialJson = {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    // Only credProps is asked for; other outputs may hold ArrayBuffers that JSON cannot carry.
    clientExtensionResults: extensions.credProps ? { credProps: extensions.credProps } : {},
    response: { clientDataJSON: toBase64Url(credential.response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64Url(response.attestationObject);
    json.response.transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
  } else {
    if (response.authenticatorData) json.response.authenticatorData = toBase64Url(response.authenticatorData);
    if (response.signature) json.response.signature = toBase64Url(response.signature);
    json.response.userHandle = response.userHandle ? toBase64Url(response.userHandle) : null;
  }
  return json;
}
