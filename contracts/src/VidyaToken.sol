// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IEpochSource} from "./IEpochSource.sol";

/// @title VidyaToken ($VIDYA)
/// @notice ERC-20 with EIP-2612 permits. Supply has two sources and only two: the genesis
/// supply, minted once in the constructor to `genesisHolder` (the only mint outside the
/// emission schedule), and emission, minted by the single `minter` (EpochRewards) as each
/// epoch's root commits new earnings. The token itself bounds emission: the total ever emitted never exceeds
/// `emissionPerEpoch × minter.committedEpochs()` (DESIGN.md: constant inflation, a fixed budget
/// per epoch), so `totalSupply() ≤ genesisSupply + emissionPerEpoch × committedEpochs` holds
/// whatever the minter does.
///
/// Anyone may burn their own tokens ({ERC20Burnable}); Staking burns slashed bonds. Burning only
/// lowers supply, so `totalSupply() = genesisSupply + totalEmitted − burned` stays within the bound.
contract VidyaToken is ERC20, ERC20Burnable, ERC20Permit {
    /// @notice The caller is not the minter.
    error UnauthorizedMinter(address caller);
    /// @notice `setMinter` was called by someone other than the deployer, or after the minter was set.
    error MinterLocked();
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice The mint would exceed the emission committed so far.
    error EmissionExceeded(uint256 requested, uint256 available);

    /// @notice The minter was fixed; it cannot change afterwards.
    event MinterSet(address indexed minter);
    /// @notice `amount` was emitted to `to` under the emission schedule.
    event Emitted(address indexed to, uint256 amount);

    address private immutable _deployer;
    uint256 private immutable _genesisSupply;
    uint256 private immutable _emissionPerEpoch;
    address private _minter;
    uint256 private _totalEmitted;

    /// @param genesisHolder receives the genesis supply (treasury; the faucet in development).
    /// @param genesisSupply_ minted once, here; never again.
    /// @param emissionPerEpoch_ the fixed budget that each committed epoch adds to the emission cap.
    /// @param minter_ the EpochRewards contract, or `address(0)` to fix it later, once, with
    /// {setMinter} (EpochRewards needs the token's address first, so deployers usually pass zero).
    constructor(address genesisHolder, uint256 genesisSupply_, uint256 emissionPerEpoch_, address minter_)
        ERC20("Vidya", "VIDYA")
        ERC20Permit("Vidya")
    {
        if (genesisHolder == address(0)) revert ZeroAddress();
        _deployer = msg.sender;
        _genesisSupply = genesisSupply_;
        _emissionPerEpoch = emissionPerEpoch_;
        _mint(genesisHolder, genesisSupply_);
        if (minter_ != address(0)) _setMinter(minter_);
    }

    /// @notice Fixes the minter. Only the deployer, only once, only if the constructor did not.
    function setMinter(address minter_) external {
        if (msg.sender != _deployer || _minter != address(0)) revert MinterLocked();
        if (minter_ == address(0)) revert ZeroAddress();
        _setMinter(minter_);
    }

    /// @notice Emits `amount` to `to`. Only the minter; reverts with {EmissionExceeded} past the cap.
    function mint(address to, uint256 amount) external {
        address minter_ = _minter;
        if (msg.sender != minter_) revert UnauthorizedMinter(msg.sender);
        uint256 available = emissionCap() - _totalEmitted;
        if (amount > available) revert EmissionExceeded(amount, available);
        // Cannot overflow: amount ≤ available = cap − emitted, so emitted + amount ≤ cap.
        unchecked {
            _totalEmitted += amount;
        }
        _mint(to, amount);
        emit Emitted(to, amount);
    }

    /// @notice The most that may ever have been emitted so far: `emissionPerEpoch × committedEpochs`.
    /// Zero while no minter is set.
    function emissionCap() public view returns (uint256) {
        address minter_ = _minter;
        if (minter_ == address(0)) return 0;
        return _emissionPerEpoch * IEpochSource(minter_).committedEpochs();
    }

    /// @notice Total emitted by the minter (supply minus genesis supply, plus anything burned).
    function totalEmitted() external view returns (uint256) {
        return _totalEmitted;
    }

    /// @notice The one-off supply minted at deployment.
    function genesisSupply() external view returns (uint256) {
        return _genesisSupply;
    }

    /// @notice The emission budget that each committed epoch adds.
    function emissionPerEpoch() external view returns (uint256) {
        return _emissionPerEpoch;
    }

    /// @notice The EpochRewards contract, or zero before {setMinter}.
    function minter() external view returns (address) {
        return _minter;
    }

    function _setMinter(address minter_) private {
        _minter = minter_;
        emit MinterSet(minter_);
    }
}
